/**
 * `install` / `uninstall` (brief §2, §4.1): make Mattermost match
 * manifest.json, idempotently. Every step first looks at what is there and
 * changes only what differs, so a second run changes nothing and says so.
 *
 *   bot account (create, re-enable, or update its name/description; icon)
 *   → the bot's access token (created once, printed once)
 *   → the bot in each team
 *   → the slash command in each team, pointing at <public-url>/slash
 *   → the command tokens in Redis, where POST /slash checks them.
 *
 * `uninstall` removes the commands and their tokens, revokes the token
 * install created, and disables the bot.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Bot } from '@mattermost/types/bots';
import type { Command } from '@mattermost/types/integrations';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';
import type { Redis } from 'ioredis';
import { CliError } from '../cli/errors';
import type { BridgeConfig } from '../config/load';
import { isMattermostError, type ResilientClient4 } from '../mattermost/client';
import { redisKeys, type RedisKeys } from '../redis/keys';
import { adminClient, describeFailure, installRedis, type Io, defaultIo } from './common';
import { loadManifest, MANIFEST_PATH, type Manifest } from './manifest';

/** Tokens install creates carry this description, so a rerun finds them and uninstall revokes them. */
export const TOKEN_DESCRIPTION = 'mattermost-mcp-bridge (created by install)';

export type StepOutcome = 'created' | 'updated' | 'unchanged' | 'removed' | 'skipped';
export interface Step {
  what: string;
  outcome: StepOutcome;
  detail?: string;
}

export interface InstallReport {
  steps: Step[];
  changed: boolean;
  botUserId: string;
  /** Only when this run created it (it is printed once and never stored). */
  botToken?: string;
  commands: { team: string; id: string }[];
}

export type InstallOptions = {
  url?: string;
  adminToken?: string;
  publicUrl?: string;
  team?: string[];
};

const isNotFound = (err: unknown) => isMattermostError(err) && err.status === 404;

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function requireOption(value: string | undefined, what: string, how: string): string {
  if (!value) throw new CliError(`${what} is required: ${how}`, 2);
  return value;
}

function normalizeUrl(value: string, what: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return value.replace(/\/+$/, '');
  } catch {
    throw new CliError(
      `${what} must be an absolute http(s) URL, e.g. https://bridge.example.com (got ${JSON.stringify(value)})`,
      2,
    );
  }
}

function printStep(io: Io, s: Step): void {
  io.print(`  ${s.outcome.padEnd(9)} ${s.what}${s.detail ? ` — ${s.detail}` : ''}`);
}

export function desiredCommand(manifest: Manifest, publicUrl: string) {
  const sc = manifest.slash_command;
  return {
    trigger: sc.trigger,
    method: sc.method,
    url: `${publicUrl}/slash`,
    display_name: sc.display_name,
    description: sc.description,
    auto_complete: sc.auto_complete,
    auto_complete_desc: sc.auto_complete_desc,
    auto_complete_hint: sc.auto_complete_hint,
  };
}

function differs(existing: Command, desired: ReturnType<typeof desiredCommand>): string[] {
  return (Object.keys(desired) as (keyof typeof desired)[]).filter(
    (k) => (existing as unknown as Record<string, unknown>)[k] !== desired[k],
  );
}

async function ensureBot(client: ResilientClient4, manifest: Manifest, steps: Step[]): Promise<UserProfile> {
  const { username, display_name, description } = manifest.bot;
  const user = await orUndefined(client.getUserByUsername(username));
  if (user && !user.is_bot) {
    throw new CliError(
      `@${username} exists and is not a bot account; rename that user or change bot.username in manifest.json`,
    );
  }
  if (!user) {
    const bot = await client.createBot({ username, display_name, description });
    steps.push({ what: `bot @${username}`, outcome: 'created' });
    return client.getUser(bot.user_id);
  }
  let outcome: StepOutcome = 'unchanged';
  const notes: string[] = [];
  if (user.delete_at > 0) {
    await client.enableBot(user.id);
    outcome = 'updated';
    notes.push('re-enabled');
  }
  const bot: Bot = await client.getBot(user.id);
  if (bot.display_name !== display_name || bot.description !== description) {
    await client.patchBot(user.id, { display_name, description });
    outcome = 'updated';
    notes.push('name and description from manifest.json');
  }
  steps.push({ what: `bot @${username}`, outcome, detail: notes.join(', ') || undefined });
  return user;
}

async function ensureIcon(
  client: ResilientClient4,
  manifest: Manifest,
  botId: string,
  redis: Redis,
  keys: RedisKeys,
  steps: Step[],
): Promise<void> {
  const path = join(dirname(MANIFEST_PATH), manifest.bot.icon);
  let svg: Buffer;
  try {
    svg = readFileSync(path);
  } catch {
    steps.push({ what: 'bot icon', outcome: 'skipped', detail: `${manifest.bot.icon} not found` });
    return;
  }
  const digest = createHash('sha256').update(svg).update(botId).digest('hex');
  if ((await redis.hget(keys.slashInstall, 'iconSha256')) === digest) {
    steps.push({ what: 'bot icon', outcome: 'unchanged' });
    return;
  }
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(svg)], { type: 'image/svg+xml' }), 'icon.svg');
  const url = `${client.getBotRoute(botId)}/icon`;
  const res = await client.resilience.fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${client.getToken()}`, 'X-Requested-With': 'XMLHttpRequest' },
    body: form,
  });
  await res.text().catch(() => '');
  if (!res.ok) {
    steps.push({ what: 'bot icon', outcome: 'skipped', detail: `the server did not take it (HTTP ${res.status})` });
    return;
  }
  await redis.hset(keys.slashInstall, 'iconSha256', digest);
  steps.push({ what: 'bot icon', outcome: 'updated' });
}

async function ensureToken(client: ResilientClient4, botId: string, steps: Step[]): Promise<string | undefined> {
  const tokens = await client.getUserAccessTokensForUser(botId, 0, 200);
  const ours = tokens.filter((t) => t.description === TOKEN_DESCRIPTION && t.is_active);
  if (ours.length > 0) {
    steps.push({
      what: 'bot access token',
      outcome: 'unchanged',
      detail: 'made by an earlier install and not shown again (uninstall, then install, to get a new one)',
    });
    return undefined;
  }
  const created = await client.createUserAccessToken(botId, TOKEN_DESCRIPTION);
  steps.push({ what: 'bot access token', outcome: 'created', detail: 'printed below, once' });
  return created.token;
}

async function teamsFor(client: ResilientClient4, names: string[] | undefined): Promise<Team[]> {
  if (names && names.length > 0) {
    const out: Team[] = [];
    for (const name of names) {
      const team = await orUndefined(client.getTeamByName(name.toLowerCase()));
      if (!team) throw new CliError(`--team ${name}: no such team (team names are the URL part, e.g. "acme")`, 2);
      out.push(team);
    }
    return out;
  }
  const all = (await client.getTeams(0, 200)) as Team[];
  const teams = all.filter((t) => t.delete_at === 0);
  if (teams.length === 0) throw new CliError('Mattermost has no teams; create one first, or pass --team NAME', 2);
  return teams;
}

/** install and uninstall act as a system admin: say plainly when the token is someone else's. */
async function requireSystemAdmin(client: { getMe(): Promise<{ roles: string; username: string }> }): Promise<void> {
  const admin = await client.getMe();
  if (!admin.roles.split(' ').includes('system_admin')) {
    throw new CliError(`--admin-token belongs to @${admin.username}, who is not a system admin`, 2);
  }
}
export async function runInstall(
  config: BridgeConfig,
  opts: InstallOptions | Record<string, unknown>,
  io: Io = defaultIo(),
): Promise<InstallReport> {
  const o = opts as InstallOptions;
  const url = normalizeUrl(
    requireOption(o.url ?? config.MATTERMOST_URL, '--url', 'pass --url https://chat.example.com or set MATTERMOST_URL'),
    '--url',
  );
  const adminToken = requireOption(o.adminToken, '--admin-token', "pass a system admin's personal access token");
  const publicUrl = normalizeUrl(
    requireOption(
      o.publicUrl ?? config.BRIDGE_PUBLIC_URL,
      '--public-url',
      'pass --public-url (how Mattermost reaches this bridge) or set BRIDGE_PUBLIC_URL',
    ),
    '--public-url',
  );
  const manifest = loadManifest();
  const keys = redisKeys(config.BRIDGE_REDIS_PREFIX);
  const { redis, close } = await installRedis(config, io);
  const client = adminClient(config, url, adminToken);
  const steps: Step[] = [];
  try {
    await requireSystemAdmin(client);
    io.print(`Installing ${manifest.name} into ${url} (slash command → ${publicUrl}/slash)`);
    const bot = await ensureBot(client, manifest, steps);
    await ensureIcon(client, manifest, bot.id, redis, keys, steps);
    const botToken = await ensureToken(client, bot.id, steps);

    const teams = await teamsFor(client, o.team);
    for (const team of teams) {
      const member = await orUndefined(client.getTeamMember(team.id, bot.id));
      if (member && member.delete_at === 0) {
        steps.push({ what: `@${bot.username} in team ${team.name}`, outcome: 'unchanged' });
      } else {
        await client.addToTeam(team.id, bot.id);
        steps.push({ what: `@${bot.username} in team ${team.name}`, outcome: 'created' });
      }
    }

    const desired = desiredCommand(manifest, publicUrl);
    const saved = await redis.hgetall(keys.slashTokens);
    const commands: { team: string; id: string }[] = [];
    for (const team of teams) {
      const existing = (await client.getCustomTeamCommands(team.id)).find(
        (c) => c.trigger === desired.trigger && c.delete_at === 0,
      );
      let command: Command;
      const what = `/${desired.trigger} in team ${team.name}`;
      if (!existing) {
        command = await client.addCommand({ ...desired, team_id: team.id } as Command);
        steps.push({ what, outcome: 'created', detail: `calls ${desired.url}` });
      } else {
        const changed = differs(existing, desired);
        if (changed.length === 0) {
          command = existing;
          steps.push({ what, outcome: 'unchanged' });
        } else {
          command = await client.editCommand({ ...existing, ...desired });
          steps.push({ what, outcome: 'updated', detail: changed.join(', ') });
        }
      }
      commands.push({ team: team.name, id: command.id });
      if (saved[command.id] !== command.token) {
        await redis.hset(keys.slashTokens, command.id, command.token);
        steps.push({
          what: `token of /${desired.trigger} in team ${team.name}`,
          outcome: 'updated',
          detail: 'saved in Redis',
        });
      }
    }
    const record = {
      botUserId: bot.id,
      mattermostUrl: url,
      publicUrl,
      commands: JSON.stringify(Object.fromEntries(commands.map((c) => [c.team, c.id]))),
    };
    const before = await redis.hgetall(keys.slashInstall);
    if (Object.entries(record).some(([k, v]) => before[k] !== v)) await redis.hset(keys.slashInstall, record);

    for (const s of steps) printStep(io, s);
    const changed = steps.some((s) => s.outcome !== 'unchanged' && s.outcome !== 'skipped');
    if (botToken) {
      io.print('');
      io.print(`The bot's access token (shown only now; keep it as MATTERMOST_TOKEN):`);
      io.print(`  MATTERMOST_TOKEN=${botToken}`);
    }
    io.print('');
    io.print(changed ? 'Installed.' : 'Nothing to change: everything was already installed as manifest.json says.');
    if (changed) {
      io.print(
        `Next: MATTERMOST_URL=${url} MATTERMOST_TOKEN=... BRIDGE_PUBLIC_URL=${publicUrl} mattermost-mcp-bridge serve, then /${desired.trigger} help in a channel.`,
      );
    }
    return { steps, changed, botUserId: bot.id, botToken, commands };
  } catch (err) {
    for (const s of steps) printStep(io, s);
    throw describeFailure(err, url);
  } finally {
    await close();
  }
}

export async function runUninstall(
  config: BridgeConfig,
  opts: InstallOptions | Record<string, unknown>,
  io: Io = defaultIo(),
): Promise<{ steps: Step[]; changed: boolean }> {
  const o = opts as InstallOptions;
  const url = normalizeUrl(
    requireOption(o.url ?? config.MATTERMOST_URL, '--url', 'pass --url https://chat.example.com or set MATTERMOST_URL'),
    '--url',
  );
  const adminToken = requireOption(o.adminToken, '--admin-token', "pass a system admin's personal access token");
  const manifest = loadManifest();
  const keys = redisKeys(config.BRIDGE_REDIS_PREFIX);
  const { redis, close } = await installRedis(config, io);
  const client = adminClient(config, url, adminToken);
  const steps: Step[] = [];
  try {
    await requireSystemAdmin(client);
    io.print(`Uninstalling ${manifest.name} from ${url}`);
    const record = await redis.hgetall(keys.slashInstall);
    const recorded = new Set<string>(Object.values(safeJson(record.commands)));
    const trigger = manifest.slash_command.trigger;
    for (const team of await teamsFor(client, o.team)) {
      for (const c of await client.getCustomTeamCommands(team.id)) {
        const ours = c.trigger === trigger && c.delete_at === 0 && (recorded.has(c.id) || /\/slash$/.test(c.url));
        if (!ours) continue;
        await client.deleteCommand(c.id);
        steps.push({ what: `/${trigger} in team ${team.name}`, outcome: 'removed' });
      }
    }
    const tokenCount = await redis.hlen(keys.slashTokens);
    if (tokenCount > 0) {
      await redis.del(keys.slashTokens);
      steps.push({ what: 'slash-command tokens in Redis', outcome: 'removed', detail: `${tokenCount}` });
    }
    const bot = await orUndefined(client.getUserByUsername(manifest.bot.username));
    if (bot?.is_bot) {
      const tokens = await client.getUserAccessTokensForUser(bot.id, 0, 200);
      for (const t of tokens.filter((x) => x.description === TOKEN_DESCRIPTION && x.is_active)) {
        await client.revokeUserAccessToken(t.id);
        steps.push({ what: 'bot access token', outcome: 'removed', detail: 'revoked' });
      }
      if (bot.delete_at === 0) {
        await client.disableBot(bot.id);
        steps.push({ what: `bot @${bot.username}`, outcome: 'removed', detail: 'disabled (install re-enables it)' });
      }
    }
    if (Object.keys(record).length > 0) await redis.del(keys.slashInstall);
    for (const s of steps) printStep(io, s);
    const changed = steps.length > 0;
    io.print(changed ? 'Uninstalled.' : 'Nothing to undo: the bridge is not installed.');
    return { steps, changed };
  } catch (err) {
    for (const s of steps) printStep(io, s);
    throw describeFailure(err, url);
  } finally {
    await close();
  }
}

function safeJson(raw: string | undefined): Record<string, string> {
  try {
    const v = JSON.parse(raw ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}
