import fc from 'fast-check';
import { redisKeys } from '../../src/redis/keys';
import { presentedToken, RedisSlashTokens, tokenMatches } from '../../src/slash/tokens';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';

const redis = connectRedis();
const prefix = testPrefix('slash-tokens');
const keys = redisKeys(prefix);

afterAll(async () => {
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
});

describe('slash-command tokens', () => {
  it('matches exactly one of the known tokens, whatever their lengths', () => {
    const known = ['abcdefghijklmnopqrstuvwxyz', 'short', 'x'.repeat(200)];
    expect(tokenMatches('abcdefghijklmnopqrstuvwxyz', known)).toBe(true);
    expect(tokenMatches('short', known)).toBe(true);
    expect(tokenMatches('abcdefghijklmnopqrstuvwxy', known)).toBe(false);
    expect(tokenMatches('', known)).toBe(false);
    expect(tokenMatches('anything', [])).toBe(false);
  });

  it('never matches a token that is not in the list (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { maxLength: 5 }), fc.string(), (known, guess) => {
        expect(tokenMatches(guess, known)).toBe(known.includes(guess));
      }),
    );
  });

  it('takes the form token, else an Authorization: Token header', () => {
    expect(presentedToken('form-token', 'Token header-token')).toBe('form-token');
    expect(presentedToken(undefined, 'token header-token')).toBe('header-token');
    expect(presentedToken('', 'Bearer nope')).toBeUndefined();
    expect(presentedToken(undefined, undefined)).toBeUndefined();
  });

  it('reads the tokens install saved in Redis together with the configured ones', async () => {
    const source = new RedisSlashTokens(redis, keys.slashTokens, ['from-config'], 0);
    expect(await source.tokens()).toEqual(['from-config']);
    await redis.hset(keys.slashTokens, 'cmd1', 'saved-token-1', 'cmd2', 'saved-token-2');
    expect((await source.tokens()).sort()).toEqual(['from-config', 'saved-token-1', 'saved-token-2']);
  });

  it('caches for a moment, and forgets on invalidate', async () => {
    const source = new RedisSlashTokens(redis, keys.slashTokens, [], 60_000);
    const before = await source.tokens();
    await redis.hset(keys.slashTokens, 'cmd3', 'saved-token-3');
    expect(await source.tokens()).toEqual(before);
    source.invalidate();
    expect(await source.tokens()).toContain('saved-token-3');
  });
});
