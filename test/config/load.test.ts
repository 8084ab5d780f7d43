import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig, requireForServe, isLoopbackHost } from '../../src/config/load';
import { CONFIG_KEYS, CONFIG_KEY_NAMES } from '../../src/config/schema';
import { hashKey } from '../../src/config/api-keys';

function problemsOf(env: Record<string, string>, configFile?: string): string[] {
  try {
    loadConfig({ env, configFile });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const tmp = mkdtempSync(join(tmpdir(), 'mmb-config-'));

describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.BRIDGE_HOST).toBe('127.0.0.1');
    expect(c.BRIDGE_PORT).toBe(8080);
    expect(c.BRIDGE_REDIS_PREFIX).toBe('mmb');
    expect(c.BRIDGE_AUTH).toBe('keys');
    expect(c.BRIDGE_READ_ONLY).toBe(false);
    expect(c.BRIDGE_TOOLSETS).toHaveLength(8);
    expect(c.BRIDGE_CHANNELS_ALLOW).toEqual([]);
    expect(c.POLL_INTERVAL).toBe(15_000);
    expect(c.BRIDGE_RETENTION_AGE).toBe(7 * 86_400_000);
    expect(c.apiKeys).toEqual([]);
  });

  it('parses every kind of value', () => {
    const c = loadConfig({
      env: {
        MATTERMOST_URL: 'https://chat.example.com/',
        MATTERMOST_TOKEN: 'tok-abcdefghijkl',
        BRIDGE_PORT: '9000',
        BRIDGE_READ_ONLY: 'yes',
        BRIDGE_TOOLSETS: 'posts, streams',
        BRIDGE_CHANNELS_ALLOW: '~town-square, acme:dev',
        BRIDGE_API_KEYS: 'plainkey-0123456789abcdef,ci:ci-key-0123456789abcdef:read+admin',
        BRIDGE_WS_GRACE: '2m',
      },
    });
    expect(c.MATTERMOST_URL).toBe('https://chat.example.com');
    expect(c.BRIDGE_PORT).toBe(9000);
    expect(c.BRIDGE_READ_ONLY).toBe(true);
    expect(c.BRIDGE_TOOLSETS).toEqual(['posts', 'streams']);
    expect(c.BRIDGE_CHANNELS_ALLOW).toEqual(['~town-square', 'acme:dev']);
    expect(c.BRIDGE_WS_GRACE).toBe(120_000);
    expect(c.apiKeys).toEqual([
      { name: 'key1', sha256: hashKey('plainkey-0123456789abcdef'), scopes: ['read', 'write'] },
      { name: 'ci', sha256: hashKey('ci-key-0123456789abcdef'), scopes: ['read', 'admin'] },
    ]);
    expect(c.secrets).toEqual(
      expect.arrayContaining(['tok-abcdefghijkl', 'plainkey-0123456789abcdef', 'ci-key-0123456789abcdef']),
    );
  });

  // One bad value per key: every key must reject it with a line naming the key and an example.
  const BAD: Record<string, string> = {
    MATTERMOST_URL: 'ftp://x',
    MATTERMOST_TOKEN: '   ',
    REDIS_URL: 'http://localhost:6379',
    BRIDGE_HOST: 'bad host!',
    BRIDGE_PORT: '70000',
    BRIDGE_PUBLIC_URL: 'not a url',
    BRIDGE_API_KEYS: 'a:b:c:d',
    BRIDGE_API_KEYS_FILE: '   ',
    BRIDGE_READ_ONLY: 'maybe',
    BRIDGE_TOOLSETS: 'posts,everything',
    BRIDGE_CHANNELS_ALLOW: '__SKIP__',
    BRIDGE_CHANNELS_DENY: '__SKIP__',
    BRIDGE_ALLOW_DIRECT: 'sometimes',
    BRIDGE_TEAMS: '__SKIP__',
    BRIDGE_REDIS_PREFIX: 'has space',
    BRIDGE_AUTH: 'oauth',
    LOG_LEVEL: 'loud',
    BRIDGE_PARTITIONS: '0',
    BRIDGE_WEBSOCKET: 'perhaps',
    BRIDGE_WS_GRACE: 'soon',
    POLL_INTERVAL: '10ms',
    BRIDGE_STATUS_POLL_INTERVAL: '-5s',
    BRIDGE_INGEST_LOCK_TTL: '2m',
    BRIDGE_RETENTION_AGE: '1s',
    BRIDGE_RETENTION_MAXLEN: '12abc',
    BRIDGE_MAX_SUBSCRIPTIONS: '0',
    BRIDGE_WAIT_MAX: '90s',
    BRIDGE_SESSION_IDLE_TIMEOUT: 'forever',
    BRIDGE_ALLOWED_HOSTS: '__SKIP__',
    BRIDGE_ALLOWED_ORIGINS: '__SKIP__',
    BRIDGE_RATE_LIMIT: 'lots',
    BRIDGE_OUTPUT_MAX_CHARS: '5',
    BRIDGE_WATCH_ROLES: 'everyone',
    BRIDGE_SLASH_TOKENS: '__SKIP__',
    BRIDGE_MM_TIMEOUT: '0',
    BRIDGE_MM_RATE: '-1',
  };

  it('has a bad-value case for every key', () => {
    expect(Object.keys(BAD).sort()).toEqual([...CONFIG_KEY_NAMES].sort());
  });

  for (const [key, value] of Object.entries(BAD)) {
    if (value === '__SKIP__') continue; // free-form lists: any string is a valid list
    it(`rejects a bad ${key} with one clear line`, () => {
      const problems = problemsOf({ [key]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${key}: `));
      expect(problems[0]).toContain(`example: ${key}=`);
    });
  }

  it('reports every problem at once', () => {
    const problems = problemsOf({ BRIDGE_PORT: 'x', LOG_LEVEL: 'loud', BRIDGE_AUTH: 'maybe' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['BRIDGE_AUTH', 'BRIDGE_PORT', 'LOG_LEVEL']);
  });

  it('never echoes a secret value back', () => {
    const problems = problemsOf({ BRIDGE_API_KEYS: 'mykey:tiny:read' });
    expect(problems.join('\n')).not.toContain('tiny');
    const p2 = problemsOf({ MATTERMOST_TOKEN: ' ' });
    expect(p2[0]).not.toContain('got');
  });

  it('accepts BRIDGE_AUTH=none only on a loopback host', () => {
    expect(loadConfig({ env: { BRIDGE_AUTH: 'none', BRIDGE_HOST: '127.0.0.1' } }).BRIDGE_AUTH).toBe('none');
    expect(loadConfig({ env: { BRIDGE_AUTH: 'none', BRIDGE_HOST: '::1' } }).BRIDGE_AUTH).toBe('none');
    expect(problemsOf({ BRIDGE_AUTH: 'none', BRIDGE_HOST: '0.0.0.0' })[0]).toMatch(
      /^BRIDGE_AUTH: none is accepted only/,
    );
  });

  it('loopback detection', () => {
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('127.0.0.2')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    expect(isLoopbackHost('example.com')).toBe(false);
  });

  it('reads a YAML or JSON config file, with env winning', () => {
    const yaml = join(tmp, 'c.yaml');
    writeFileSync(yaml, 'BRIDGE_PORT: 9100\nBRIDGE_TOOLSETS: [posts, streams]\nLOG_LEVEL: debug\n');
    const c = loadConfig({ env: { LOG_LEVEL: 'warn' }, configFile: yaml });
    expect(c.BRIDGE_PORT).toBe(9100);
    expect(c.BRIDGE_TOOLSETS).toEqual(['posts', 'streams']);
    expect(c.LOG_LEVEL).toBe('warn');
    const json = join(tmp, 'c.json');
    writeFileSync(json, JSON.stringify({ BRIDGE_READ_ONLY: true }));
    expect(loadConfig({ env: {}, configFile: json }).BRIDGE_READ_ONLY).toBe(true);
  });

  it('names unknown keys, unreadable and malformed files', () => {
    const f = join(tmp, 'bad.yaml');
    writeFileSync(f, 'BRIDGE_PROT: 1\n');
    expect(problemsOf({}, f)[0]).toMatch(/^BRIDGE_PROT: unknown key/);
    expect(problemsOf({}, join(tmp, 'missing.yaml'))[0]).toMatch(/^--config: cannot read .* \(ENOENT\)/);
    const j = join(tmp, 'bad.json');
    writeFileSync(j, '{');
    expect(problemsOf({}, j)[0]).toMatch(/^--config: .* is not valid JSON/);
    const arr = join(tmp, 'arr.yaml');
    writeFileSync(arr, '- 1\n');
    expect(problemsOf({}, arr)[0]).toMatch(/must hold an object/);
  });

  it('reads a keys file with hashed keys and channel policies', () => {
    const f = join(tmp, 'keys.yaml');
    const h = hashKey('file-key-0123456789abcdef');
    writeFileSync(
      f,
      `- {name: hashed, sha256: ${h}, scopes: [read]}\n- {name: plain, key: other-key-0123456789, channels: {allow: ['~dev']}}\n`,
    );
    const c = loadConfig({ env: { BRIDGE_API_KEYS_FILE: f } });
    expect(c.apiKeys[0]).toMatchObject({ name: 'hashed', sha256: h, scopes: ['read'] });
    expect(c.apiKeys[1]).toMatchObject({
      name: 'plain',
      scopes: ['read', 'write'],
      channels: { allow: ['~dev'], deny: [] },
    });
    expect(c.secrets).toContain('other-key-0123456789');
    writeFileSync(f, `- {name: both, key: other-key-0123456789, sha256: ${h}}\n`);
    expect(problemsOf({ BRIDGE_API_KEYS_FILE: f })[0]).toMatch(
      /^BRIDGE_API_KEYS_FILE: entry 0 give exactly one of key or sha256/,
    );
  });

  it('rejects duplicate key names', () => {
    expect(problemsOf({ BRIDGE_API_KEYS: 'a:0123456789abcdefgh:read,a:0123456789abcdefgx:read' })[0]).toMatch(
      /used twice/,
    );
  });

  it('serve requires an API key unless auth is none on loopback', () => {
    const c = loadConfig({ env: { MATTERMOST_URL: 'http://mm', MATTERMOST_TOKEN: 'tok-123456' } });
    expect(() => requireForServe(c, { apiKeys: true, mattermost: true })).toThrow(/BRIDGE_API_KEYS: is required/);
    const none = loadConfig({
      env: { MATTERMOST_URL: 'http://mm', MATTERMOST_TOKEN: 'tok-123456', BRIDGE_AUTH: 'none' },
    });
    expect(() => requireForServe(none, { apiKeys: true, mattermost: true })).not.toThrow();
  });

  it('never throws anything but ConfigError, whatever the env (property)', () => {
    const keys = fc.constantFrom(...CONFIG_KEY_NAMES);
    fc.assert(
      fc.property(fc.dictionary(keys, fc.string({ maxLength: 40 })), (env) => {
        try {
          loadConfig({ env });
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          for (const p of (e as ConfigError).problems) {
            expect(p).toMatch(/^[A-Z_]+: .+/);
            const key = p.split(':')[0];
            if ((CONFIG_KEYS as Record<string, { doc: { secret?: boolean } }>)[key]?.doc.secret) {
              expect(p).not.toContain('(got');
            }
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
