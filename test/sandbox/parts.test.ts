/**
 * The sandbox's parts on their own: the chatter against the fake's REST API,
 * how Redis is found, the printed commands (shell quoting checked by a real
 * shell) and the validation of its two knobs.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { CliError } from '../../src/cli/errors';
import { SCRIPT, startChatter } from '../../src/sandbox/chatter';
import {
  askCurl,
  clientConfigs,
  jsonLine,
  renderInstructions,
  shellQuote,
  type SandboxInfo,
} from '../../src/sandbox/instructions';
import { findRedis, freePort, REDIS_HINT, redisAnswers } from '../../src/sandbox/redis';
import { chatterInterval, parsePort } from '../../src/sandbox/sandbox';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { testRedisUrl } from '../helpers/redis';

type WirePost = { id: string; user_id: string; channel_id: string; root_id: string; message: string };
type WireReaction = { user_id: string; post_id: string; emoji_name: string };

const info: SandboxInfo = {
  mcpUrl: 'http://127.0.0.1:4100/mcp',
  apiKey: 'mmb-sandbox-abc_DEF-0123456789',
  mattermostUrl: 'http://127.0.0.1:4200',
  adminToken: 'adminadminadminadminadmina',
  redisUrl: 'redis://127.0.0.1:4300',
};

describe('chatter', () => {
  let fake: FakeMattermost;
  beforeAll(async () => {
    fake = await startFakeMattermost();
  });
  afterAll(async () => {
    await fake.stop();
  });

  const setup = (overrides: { bobToken?: string } = {}, onError = jest.fn()) => ({
    url: fake.url,
    alice: fake.user('alice'),
    bob: { ...fake.user('bob'), token: overrides.bobToken ?? fake.user('bob').token },
    channels: { 'town-square': fake.channel('town-square').id, 'off-topic': fake.channel('off-topic').id },
    botUsername: 'bridge-bot',
    intervalMs: 20,
    onError,
  });

  it('posts, replies in threads and reacts as alice and bob, and mentions the bot', async () => {
    const chatter = startChatter(setup());
    while (chatter.steps < SCRIPT.length) await new Promise((r) => setTimeout(r, 20));
    await chatter.stop();
    const state = fake.snapshot() as { posts: WirePost[]; reactions: WireReaction[] };
    const alice = fake.user('alice').id;
    const bob = fake.user('bob').id;
    const posts = state.posts.filter((p) => p.user_id === alice || p.user_id === bob);
    const roots = posts.filter((p) => p.root_id === '');
    const replies = posts.filter((p) => p.root_id !== '');
    expect(new Set(roots.map((p) => p.channel_id))).toEqual(
      new Set([fake.channel('town-square').id, fake.channel('off-topic').id]),
    );
    expect(replies.every((r) => roots.some((p) => p.id === r.root_id && p.channel_id === r.channel_id))).toBe(true);
    expect(new Set(replies.map((p) => p.user_id))).toEqual(new Set([alice, bob]));
    expect(posts.some((p) => p.message.includes('@bridge-bot'))).toBe(true);
    const reactions = state.reactions.filter((r) => replies.some((p) => p.id === r.post_id));
    expect(reactions.map((r) => [r.user_id, r.emoji_name]).sort()).toEqual(
      [
        [alice, 'thumbsup'],
        [bob, 'white_check_mark'],
      ].sort(),
    );
  });

  it('reports a failing step and keeps going; stop() ends the loop', async () => {
    const onError = jest.fn();
    const chatter = startChatter(setup({ bobToken: 'x'.repeat(26) }, onError));
    while (chatter.steps < 4) await new Promise((r) => setTimeout(r, 20));
    await chatter.stop();
    expect(onError.mock.calls.map((c) => c[1])).toContain('bob replies in the thread');
    const after = chatter.steps;
    await new Promise((r) => setTimeout(r, 100));
    expect(chatter.steps).toBe(after);
  });
});

describe('finding Redis', () => {
  const notes: string[] = [];
  const note = (l: string) => notes.push(l);

  it('uses REDIS_URL when it answers, and stopping leaves it alone', async () => {
    const r = await findRedis({ REDIS_URL: testRedisUrl() }, note);
    expect(r).toMatchObject({ url: testRedisUrl(), origin: 'REDIS_URL' });
    expect(r.pid).toBeUndefined();
    await r.stop();
    expect(await redisAnswers(testRedisUrl())).toBe(true);
  });

  it('says how to get Redis when nothing answers and no redis-server is on PATH', async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const lookup = { hasRedisServer: () => false, defaultUrl: `redis://127.0.0.1:${await freePort()}` };
    const err = await findRedis({ REDIS_URL: dead }, note, lookup).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toBe(REDIS_HINT);
    expect(REDIS_HINT).toMatch(/apt-get install redis-server/);
    expect(notes.join('\n')).toMatch(/does not answer/);
  });

  it('falls back to the default URL when it answers and there is no redis-server', async () => {
    const r = await findRedis({}, note, { hasRedisServer: () => false, defaultUrl: testRedisUrl() });
    expect(r).toMatchObject({ url: testRedisUrl(), origin: 'default URL' });
  });
});

describe('what the sandbox prints', () => {
  it('the JSON line has exactly the five keys', () => {
    expect(Object.keys(JSON.parse(jsonLine({ ...info, extra: 1 } as SandboxInfo)))).toEqual([
      'mcpUrl',
      'apiKey',
      'mattermostUrl',
      'adminToken',
      'redisUrl',
    ]);
  });

  it('every client config carries the URL and the key; the JSON ones parse', () => {
    const configs = clientConfigs(info);
    expect(configs.map((c) => c.title.split(' ')[0])).toEqual(['Claude', 'Claude', 'VS', 'Cursor', 'MCP']);
    for (const c of configs) {
      expect(c.body).toContain(info.mcpUrl);
      expect(c.body).toContain(info.apiKey);
      if (c.body.startsWith('{')) expect(() => JSON.parse(c.body)).not.toThrow();
    }
    const text = renderInstructions(info, { botUsername: 'mcp-bridge', chatterMs: 4000 });
    expect(text).toContain('claude mcp add --transport http mattermost http://127.0.0.1:4100/mcp');
    expect(text).toContain(askCurl(info));
    expect(text).toContain('every 4 s');
  });

  it('shellQuote survives a real shell for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const clean = s.replace(/\0/g, '');
        const out = execFileSync('sh', ['-c', `printf %s ${shellQuote(clean)}`], { encoding: 'utf8' });
        expect(out).toBe(clean);
      }),
      { numRuns: 60 },
    );
  });
});

describe('knobs', () => {
  it('--port takes 0-65535 (0 = a free one) and refuses anything else with exit code 2', () => {
    expect(parsePort(undefined)).toBeUndefined();
    expect(parsePort('0')).toBeUndefined();
    expect(parsePort('8080')).toBe(8080);
    for (const bad of ['', '-1', '65536', '80a', ' 80', '1e3']) {
      expect(() => parsePort(bad)).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
  });

  it('SANDBOX_CHATTER_INTERVAL takes a duration from 100ms to 1h', () => {
    expect(chatterInterval({})).toBe(4000);
    expect(chatterInterval({ SANDBOX_CHATTER_INTERVAL: '250ms' })).toBe(250);
    expect(chatterInterval({ SANDBOX_CHATTER_INTERVAL: '2s' })).toBe(2000);
    for (const bad of ['fast', '10ms', '2h', '-1s']) {
      expect(() => chatterInterval({ SANDBOX_CHATTER_INTERVAL: bad })).toThrow(/SANDBOX_CHATTER_INTERVAL/);
    }
  });
});
