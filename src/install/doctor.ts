/**
 * `doctor`: checks a configuration end to end and prints each check as
 * `ok` or `failed`, with the fix for each failure. Checks that depend on an
 * earlier one (the token needs the URL) are reported as skipped, not failed.
 * Secrets are never printed.
 */
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';
import WebSocket from 'ws';
import { CliError } from '../cli/errors';
import type { BridgeConfig } from '../config/load';
import { isMattermostError, type ResilientClient4 } from '../mattermost/client';
import { redisKeys } from '../redis/keys';
import { encodeSlashForm } from '../slash/form';
import { adminClient, defaultIo, shortLivedRedis, type Io } from './common';
import { loadManifest } from './manifest';

export type CheckStatus = 'ok' | 'failed' | 'skipped';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export type DoctorOptions = {
  /** How long the WebSocket check waits for `hello`. Default 5 s. */
  websocketTimeoutMs?: number;
  /** Per-request timeout of the HTTP checks. Default 5 s. */
  httpTimeoutMs?: number;
};

const errText = (err: unknown) =>
  isMattermostError(err) ? `${err.message}${err.status ? ` (HTTP ${err.status})` : ''}` : (err as Error)?.message;

function websocketHello(url: string, token: string, timeoutMs: number): Promise<{ version: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no hello within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      fn();
    };
    ws.on('open', () => ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token } })));
    ws.on('message', (raw) => {
      let msg: { event?: string; data?: { server_version?: string } };
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        return;
      }
      if (msg.event === 'hello')
        done(() => resolve({ version: msg.data?.server_version?.split('.').slice(0, 3).join('.') ?? '?' }));
    });
    ws.on('close', (code) =>
      done(() => reject(new Error(`closed before hello (code ${code}): the token was refused`))),
    );
    ws.on('error', (err) => done(() => reject(err)));
  });
}

export async function checkConfiguration(config: BridgeConfig, options: DoctorOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (r: CheckResult) => results.push(r);
  const httpTimeoutMs = options.httpTimeoutMs ?? 5000;
  const manifest = (() => {
    try {
      return loadManifest();
    } catch {
      return undefined;
    }
  })();
  const trigger = manifest?.slash_command.trigger ?? 'mcp';

  // 1. URL
  let client: ResilientClient4 | undefined;
  const url = config.MATTERMOST_URL;
  if (!url) {
    add({
      name: 'Mattermost URL',
      status: 'failed',
      detail: 'MATTERMOST_URL is not set',
      fix: 'set MATTERMOST_URL=https://chat.example.com',
    });
  } else {
    const probe = adminClient({ ...config, BRIDGE_MM_TIMEOUT: httpTimeoutMs }, url, '');
    try {
      const ping = (await probe.ping(false)) as { status?: string };
      add({ name: 'Mattermost URL', status: 'ok', detail: `${url} answers (status ${ping.status ?? 'OK'})` });
      client = adminClient({ ...config, BRIDGE_MM_TIMEOUT: httpTimeoutMs }, url, config.MATTERMOST_TOKEN ?? '');
    } catch (err) {
      add({
        name: 'Mattermost URL',
        status: 'failed',
        detail: `${url} does not answer as Mattermost: ${errText(err)}`,
        fix: 'check MATTERMOST_URL (the base URL, without /api/v4), DNS, TLS (NODE_EXTRA_CA_CERTS for a private CA) and firewalls',
      });
    }
  }

  // 2. token
  let bot: UserProfile | undefined;
  if (!client) {
    add({ name: 'Bot token', status: 'skipped', detail: 'needs a reachable Mattermost' });
  } else if (!config.MATTERMOST_TOKEN) {
    add({
      name: 'Bot token',
      status: 'failed',
      detail: 'MATTERMOST_TOKEN is not set',
      fix: 'run `mattermost-mcp-bridge install` and set the token it prints',
    });
  } else {
    try {
      bot = await client.getMe();
      add({ name: 'Bot token', status: 'ok', detail: `accepted: @${bot.username}` });
    } catch (err) {
      const refused = isMattermostError(err) && err.status === 401;
      add({
        name: 'Bot token',
        status: 'failed',
        detail: refused ? 'Mattermost refused MATTERMOST_TOKEN (401)' : `could not check it: ${errText(err)}`,
        fix: refused
          ? 'the token is wrong, revoked or its user is disabled: run `mattermost-mcp-bridge install` again (it creates a token when none is active) or create one for the bot in System Console › Integrations › Bot Accounts'
          : 'retry; if it persists, check that Mattermost is healthy',
      });
    }
  }

  // 3. bot account and permissions
  let teams: Team[] = [];
  if (!bot || !client) {
    add({ name: 'Bot permissions', status: 'skipped', detail: 'needs a valid token' });
  } else {
    const problems: string[] = [];
    if (!bot.is_bot) problems.push(`@${bot.username} is a regular user, not a bot account`);
    if (bot.delete_at > 0) problems.push(`@${bot.username} is deactivated`);
    if (manifest && bot.username !== manifest.bot.username) {
      problems.push(`the token belongs to @${bot.username}, not to @${manifest.bot.username} from manifest.json`);
    }
    try {
      teams = await client.getMyTeams();
      let channels = 0;
      for (const t of teams) channels += (await client.getMyChannels(t.id)).length;
      if (problems.length === 0) {
        add({
          name: 'Bot permissions',
          status: 'ok',
          detail: `bot account, active, can read ${channels} channel${channels === 1 ? '' : 's'} in ${teams.length} team${teams.length === 1 ? '' : 's'}`,
        });
      }
    } catch (err) {
      problems.push(`cannot list its teams and channels: ${errText(err)}`);
    }
    if (problems.length) {
      add({
        name: 'Bot permissions',
        status: 'failed',
        detail: problems.join('; '),
        fix: 'use the token of the bot `install` creates; the permissions it needs are listed in manifest.json (permissions.bot)',
      });
    }
  }

  // 4. teams
  if (!bot) {
    add({ name: 'Team membership', status: 'skipped', detail: 'needs a valid token' });
  } else {
    const names = teams.map((t) => t.name);
    const wanted = config.BRIDGE_TEAMS;
    const missing = wanted.filter((w) => !teams.some((t) => t.name === w || t.id === w));
    if (teams.length === 0) {
      add({
        name: 'Team membership',
        status: 'failed',
        detail: `@${bot.username} is in no team`,
        fix: 'run `mattermost-mcp-bridge install --team NAME` (or add the bot to a team)',
      });
    } else if (missing.length) {
      add({
        name: 'Team membership',
        status: 'failed',
        detail: `not a member of ${missing.join(', ')} (BRIDGE_TEAMS); member of ${names.join(', ')}`,
        fix: `run \`mattermost-mcp-bridge install ${missing.map((m) => `--team ${m}`).join(' ')}\` or fix BRIDGE_TEAMS`,
      });
    } else {
      add({ name: 'Team membership', status: 'ok', detail: `member of ${names.join(', ')}` });
    }
  }

  // 5. Redis
  const keys = redisKeys(config.BRIDGE_REDIS_PREFIX);
  let slashTokens = -1;
  const redis = shortLivedRedis(config.REDIS_URL);
  try {
    await redis.connect();
    const pong = await redis.ping();
    const info = await redis.info('server').catch(() => '');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    slashTokens = await redis.hlen(keys.slashTokens);
    add({ name: 'Redis', status: 'ok', detail: `${pong} from Redis ${version}` });
  } catch (err) {
    add({
      name: 'Redis',
      status: 'failed',
      detail: `cannot reach Redis at REDIS_URL: ${(err as Error).message}`,
      fix: 'start Redis (with appendonly yes for durability) or set REDIS_URL to it',
    });
  } finally {
    redis.disconnect();
  }

  // 6. WebSocket
  if (!bot || !url || !config.MATTERMOST_TOKEN) {
    add({ name: 'WebSocket', status: 'skipped', detail: 'needs a valid token' });
  } else {
    try {
      const hello = await websocketHello(url, config.MATTERMOST_TOKEN, options.websocketTimeoutMs ?? 5000);
      add({ name: 'WebSocket', status: 'ok', detail: `hello received (server ${hello.version})` });
    } catch (err) {
      add({
        name: 'WebSocket',
        status: 'failed',
        detail: (err as Error).message,
        fix: 'proxies must pass WebSocket upgrades on /api/v4/websocket (Upgrade and Connection headers); the bridge falls back to polling (POLL_INTERVAL) until this works',
      });
    }
  }

  // 7. slash command
  const publicUrl = config.BRIDGE_PUBLIC_URL;
  if (!publicUrl) {
    add({
      name: 'Slash command',
      status: 'failed',
      detail: 'BRIDGE_PUBLIC_URL is not set, so Mattermost cannot reach /slash',
      fix: 'set BRIDGE_PUBLIC_URL to the URL Mattermost uses to reach this bridge, then run `mattermost-mcp-bridge install`',
    });
  } else {
    const problems: string[] = [];
    const fixes: string[] = [];
    if (slashTokens === 0 && config.BRIDGE_SLASH_TOKENS.length === 0) {
      problems.push(
        'no command token is saved in Redis nor set in BRIDGE_SLASH_TOKENS, so every /slash call is refused',
      );
      fixes.push('run `mattermost-mcp-bridge install`');
    }
    try {
      // A form with a token no install made: our /slash must answer 401 with JSON.
      const res = await fetch(`${publicUrl}/slash`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: encodeSlashForm({ token: 'doctor-probe-not-a-token', text: 'help' }),
        signal: AbortSignal.timeout(httpTimeoutMs),
      });
      const body = await res.text();
      if (res.status !== 401 || !/token/i.test(body)) {
        problems.push(`${publicUrl}/slash answered HTTP ${res.status}, not the bridge's 401 for a wrong token`);
        fixes.push('make BRIDGE_PUBLIC_URL point at this bridge (a proxy may route /slash elsewhere)');
      }
    } catch (err) {
      problems.push(`${publicUrl}/slash is unreachable from here: ${(err as Error).message}`);
      fixes.push(
        'start `mattermost-mcp-bridge serve` and check BRIDGE_PUBLIC_URL (Mattermost must reach it too: AllowedUntrustedInternalConnections for private addresses)',
      );
    }
    if (client && bot) {
      // The bot sees auto-complete commands of its teams: is ours pointing here?
      for (const t of teams) {
        const cmd = (await client.getCommandsList(t.id).catch(() => [])).find((c) => c.trigger === trigger && c.url);
        if (cmd && cmd.url !== `${publicUrl}/slash`) {
          problems.push(`/${trigger} in team ${t.name} calls ${cmd.url}, not ${publicUrl}/slash`);
          fixes.push('run `mattermost-mcp-bridge install` to point it here');
        }
      }
    }
    if (problems.length === 0) {
      add({
        name: 'Slash command',
        status: 'ok',
        detail: `${publicUrl}/slash answers and ${slashTokens} command token(s) are saved`,
      });
    } else {
      add({
        name: 'Slash command',
        status: 'failed',
        detail: problems.join('; '),
        fix: [...new Set(fixes)].join('; '),
      });
    }
  }
  return results;
}

export function renderChecks(results: CheckResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.status.padEnd(7)} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.status === 'failed' && r.fix) lines.push(`${' '.repeat(8 + width)}  fix: ${r.fix}`);
  }
  return lines;
}

export async function runDoctor(
  config: BridgeConfig,
  io: Io = defaultIo(),
  options: DoctorOptions = {},
): Promise<CheckResult[]> {
  const results = await checkConfiguration(config, options);
  for (const line of renderChecks(results)) io.print(line);
  const failed = results.filter((r) => r.status === 'failed').length;
  if (failed > 0)
    throw new CliError(`doctor: ${failed} check${failed === 1 ? '' : 's'} failed (see the fixes above)`, 1);
  io.print('All checks passed.');
  return results;
}
