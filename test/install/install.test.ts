import { Client4 } from '@mattermost/client';
import { CliError } from '../../src/cli/errors';
import { main } from '../../src/cli/program';
import { loadConfig, type BridgeConfig } from '../../src/config/load';
import { runInstall, runUninstall, TOKEN_DESCRIPTION } from '../../src/install/install';
import { loadManifest } from '../../src/install/manifest';
import { redisKeys } from '../../src/redis/keys';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../helpers/redis';

const redis = connectRedis();
const prefix = testPrefix('install');
const keys = redisKeys(prefix);
const manifest = loadManifest();
const PUBLIC = 'http://bridge.test:8080';
let fake: FakeMattermost;
let config: BridgeConfig;
let admin: Client4;

beforeAll(async () => {
  fake = await startFakeMattermost();
  config = loadConfig({ env: { REDIS_URL: testRedisUrl(), BRIDGE_REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' } });
  admin = new Client4();
  admin.setUrl(fake.url);
  admin.setToken(fake.token('admin'));
});

afterAll(async () => {
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
  await fake?.stop();
});

function run(opts: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const p = runInstall(
    config,
    { url: fake.url, adminToken: fake.token('admin'), publicUrl: PUBLIC, ...opts },
    { print: (l) => lines.push(l), redis },
  );
  return { lines, p };
}

/** What install manages, as the fake holds it. */
async function state() {
  const snap = fake.snapshot() as {
    commands: { id: string; trigger: string; url: string; token: string; team_id: string }[];
  };
  const bot = await admin.getUserByUsername(manifest.bot.username).catch(() => undefined);
  const tokens = bot ? await admin.getUserAccessTokensForUser(bot.id, 0, 100) : [];
  const teams = bot
    ? (await admin.getTeamMember(fake.state.teams.acme.id, bot.id).catch(() => undefined))?.delete_at
    : undefined;
  return {
    bot: bot && { id: bot.id, is_bot: bot.is_bot, delete_at: bot.delete_at },
    tokens: tokens.map((t) => ({ id: t.id, description: t.description, is_active: t.is_active })),
    inAcme: teams === 0,
    commands: snap.commands.filter((c) => c.trigger === manifest.slash_command.trigger),
    redisTokens: await redis.hgetall(keys.slashTokens),
    record: await redis.hgetall(keys.slashInstall),
  };
}

describe('install', () => {
  it('creates the bot, its token (printed once), team membership, the slash command, and saves the command token', async () => {
    const { lines, p } = run();
    const report = await p;
    expect(report.changed).toBe(true);
    expect(report.botToken).toMatch(/^[a-z0-9]{26}$/);
    expect(lines.filter((l) => l.includes(report.botToken as string))).toEqual([
      `  MATTERMOST_TOKEN=${report.botToken}`,
    ]);
    const s = await state();
    expect(s.bot).toMatchObject({ is_bot: true, delete_at: 0 });
    expect(s.tokens).toEqual([{ id: expect.any(String), description: TOKEN_DESCRIPTION, is_active: true }]);
    expect(s.inAcme).toBe(true);
    expect(s.commands).toHaveLength(1);
    expect(s.commands[0]).toMatchObject({
      url: `${PUBLIC}/slash`,
      team_id: fake.state.teams.acme.id,
      auto_complete_hint: manifest.slash_command.auto_complete_hint,
      description: manifest.slash_command.description,
    });
    expect(s.redisTokens).toEqual({ [s.commands[0].id]: s.commands[0].token });
    // the printed token works as the bot
    const bot = new Client4();
    bot.setUrl(fake.url);
    bot.setToken(report.botToken as string);
    expect((await bot.getMe()).username).toBe(manifest.bot.username);
    expect(lines.join('\n')).toMatch(/created\s+bot @mcp-bridge/);
  });

  it('a second run changes nothing and says so', async () => {
    const before = await state();
    const { lines, p } = run();
    const report = await p;
    expect(report.changed).toBe(false);
    expect(report.botToken).toBeUndefined();
    expect(await state()).toEqual(before);
    expect(lines[lines.length - 1]).toBe('Nothing to change: everything was already installed as manifest.json says.');
    expect(lines.join('\n')).not.toMatch(/MATTERMOST_TOKEN=/);
    expect(report.steps.every((s) => s.outcome === 'unchanged' || s.outcome === 'skipped')).toBe(true);
  });

  it('a new public URL updates the command in place (same id, same token)', async () => {
    const before = await state();
    const { p } = run({ publicUrl: 'https://bridge.example.com/' });
    const report = await p;
    expect(report.steps.find((s) => s.what.startsWith('/mcp in team'))).toMatchObject({
      outcome: 'updated',
      detail: 'url',
    });
    const after = await state();
    expect(after.commands).toEqual([
      { ...before.commands[0], url: 'https://bridge.example.com/slash', update_at: expect.any(Number) },
    ]);
    expect(after.redisTokens).toEqual(before.redisTokens);
    await run().p; // back to PUBLIC
  });

  it('refuses clearly: missing options, a non-admin token, an unknown team, a wrong URL', async () => {
    await expect(
      runInstall(config, { adminToken: 'x', publicUrl: PUBLIC }, { print: () => {}, redis }),
    ).rejects.toThrow(/--url is required/);
    await expect(runInstall(config, { url: fake.url, adminToken: 'x' }, { print: () => {}, redis })).rejects.toThrow(
      /--public-url is required/,
    );
    await expect(
      runInstall(
        config,
        { url: fake.url, adminToken: fake.token('alice'), publicUrl: PUBLIC },
        { print: () => {}, redis },
      ),
    ).rejects.toThrow(/belongs to @alice, who is not a system admin/);
    await expect(
      runInstall(config, { url: fake.url, adminToken: 'wrongtoken', publicUrl: PUBLIC }, { print: () => {}, redis }),
    ).rejects.toThrow(/refused --admin-token \(401\)/);
    await expect(run({ team: ['nope'] }).p).rejects.toThrow(/--team nope: no such team/);
    await expect(
      runInstall(config, { url: 'ftp://x', adminToken: 'x', publicUrl: PUBLIC }, { print: () => {}, redis }),
    ).rejects.toBeInstanceOf(CliError);
  });
});

describe('uninstall', () => {
  it('removes the command and its token, revokes the bot token, disables the bot; a second run has nothing to undo', async () => {
    const lines: string[] = [];
    const io = { print: (l: string) => lines.push(l), redis };
    const result = await runUninstall(config, { url: fake.url, adminToken: fake.token('admin') }, io);
    expect(result.changed).toBe(true);
    const s = await state();
    expect(s.commands.filter((c) => (c as unknown as { delete_at: number }).delete_at === 0)).toEqual([]);
    expect(s.redisTokens).toEqual({});
    expect(s.record).toEqual({});
    expect(s.tokens.filter((t) => t.is_active)).toEqual([]);
    expect(s.bot?.delete_at).toBeGreaterThan(0);
    const again = await runUninstall(config, { url: fake.url, adminToken: fake.token('admin') }, io);
    expect(again.changed).toBe(false);
    expect(lines[lines.length - 1]).toBe('Nothing to undo: the bridge is not installed.');
  });

  it('install afterwards re-enables the bot and prints a fresh token', async () => {
    const report = await run().p;
    expect(report.steps.find((s) => s.what === 'bot @mcp-bridge')).toMatchObject({
      outcome: 'updated',
      detail: 're-enabled',
    });
    expect(report.botToken).toBeDefined();
  });
});

describe('the CLI', () => {
  it('runs install with its options, and doctor exits 1 when a check fails', async () => {
    const saved = { ...process.env };
    const out: string[] = [];
    const err: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      Object.assign(process.env, { BRIDGE_REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' });
      const argv = [
        'install',
        '--url',
        fake.url,
        '--admin-token',
        fake.token('admin'),
        '--public-url',
        PUBLIC,
        '--team',
        'acme',
      ];
      expect(await main(argv, (l) => err.push(l))).toBe(0);
      expect(out.join('')).toContain('Nothing to change');

      Object.assign(process.env, { MATTERMOST_URL: fake.url, MATTERMOST_TOKEN: 'badbadbadbadbadbadbadbadba' });
      expect(await main(['doctor'], (l) => err.push(l))).toBe(1);
      expect(out.join('')).toMatch(/failed\s+Bot token\s+Mattermost refused MATTERMOST_TOKEN \(401\)/);
      expect(err.join('\n')).toMatch(/doctor: \d checks failed/);
    } finally {
      write.mockRestore();
      process.env = saved;
    }
  });
});
