import { CliError } from '../../src/cli/errors';
import { loadConfig } from '../../src/config/load';
import { checkConfiguration, renderChecks, runDoctor, type CheckResult } from '../../src/install/doctor';
import { SlashWorld } from '../slash/world';
import { testRedisUrl } from '../helpers/redis';

let w: SlashWorld;

beforeAll(async () => {
  w = await SlashWorld.start();
});

afterAll(async () => {
  await w?.stop();
});

const byName = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.name, r]));

describe('doctor', () => {
  it('passes every check on a working installation', async () => {
    const lines: string[] = [];
    const results = await runDoctor(w.config, { print: (l) => lines.push(l) });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['Mattermost URL', 'ok'],
      ['Bot token', 'ok'],
      ['Bot permissions', 'ok'],
      ['Team membership', 'ok'],
      ['Redis', 'ok'],
      ['WebSocket', 'ok'],
      ['Slash command', 'ok'],
    ]);
    expect(byName(results)['Bot token'].detail).toBe('accepted: @mcp-bridge');
    expect(lines[lines.length - 1]).toBe('All checks passed.');
    expect(lines.join('\n')).not.toContain(w.config.MATTERMOST_TOKEN);
  });

  it('says so when the token is bad, with the fix, and skips what depends on it', async () => {
    const config = { ...w.config, MATTERMOST_TOKEN: 'badbadbadbadbadbadbadbadba' };
    const lines: string[] = [];
    await expect(runDoctor(config, { print: (l) => lines.push(l) })).rejects.toThrow(CliError);
    const results = byName(await checkConfiguration(config));
    expect(results['Bot token']).toMatchObject({
      status: 'failed',
      detail: 'Mattermost refused MATTERMOST_TOKEN (401)',
      fix: expect.stringContaining('mattermost-mcp-bridge install'),
    });
    expect(results['WebSocket'].status).toBe('skipped');
    expect(results['Mattermost URL'].status).toBe('ok');
    const text = lines.join('\n');
    expect(text).toMatch(/^failed\s+Bot token\s+Mattermost refused MATTERMOST_TOKEN \(401\)$/m);
    expect(text).toMatch(/^\s+fix: the token is wrong, revoked/m);
    expect(text).not.toContain('badbadbad');
  });

  it('finds an unreachable Mattermost, a Redis that is down, and a /slash nobody answers', async () => {
    const config = loadConfig({
      env: {
        MATTERMOST_URL: 'http://127.0.0.1:1',
        MATTERMOST_TOKEN: 'whatever-token-1234',
        REDIS_URL: 'redis://127.0.0.1:1',
        BRIDGE_PUBLIC_URL: 'http://127.0.0.1:1',
        LOG_LEVEL: 'silent',
      },
    });
    const results = byName(await checkConfiguration(config, { httpTimeoutMs: 2000 }));
    expect(results['Mattermost URL']).toMatchObject({
      status: 'failed',
      fix: expect.stringContaining('MATTERMOST_URL'),
    });
    expect(results['Bot token'].status).toBe('skipped');
    expect(results['Redis']).toMatchObject({ status: 'failed', detail: expect.stringContaining('cannot reach Redis') });
    expect(results['Slash command']).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('unreachable'),
    });
    expect(renderChecks(Object.values(results)).filter((l) => l.includes('fix:')).length).toBe(3);
  });

  it('notices a slash command that points elsewhere and missing command tokens', async () => {
    const config = { ...w.config, BRIDGE_PUBLIC_URL: 'http://127.0.0.1:1', REDIS_URL: testRedisUrl() };
    const results = byName(
      await checkConfiguration({ ...config, BRIDGE_REDIS_PREFIX: 'mmbtest-empty-prefix' }, { httpTimeoutMs: 2000 }),
    );
    expect(results['Slash command'].status).toBe('failed');
    expect(results['Slash command'].detail).toMatch(/no command token is saved/);
    expect(results['Slash command'].detail).toMatch(
      /\/mcp in team acme calls http:\/\/127\.0\.0\.1:\d+\/slash, not http:\/\/127\.0\.0\.1:1\/slash/,
    );
  });
});
