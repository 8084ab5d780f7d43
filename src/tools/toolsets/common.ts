/**
 * What the Mattermost toolsets share: parameter schemas (fixed names, with
 * limits), output shapes, resolution of channel/user/post references,
 * the write and channel-policy guards, and the mapping of Mattermost failures
 * to tool errors whose message says what to do next.
 */
import type { Client4 } from '@mattermost/client';
import type { Channel } from '@mattermost/types/channels';
import type { Post } from '@mattermost/types/posts';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';
import { z, type ZodRawShape } from 'zod';
import {
  FileTooLargeError,
  bindAbortSignal,
  isMattermostError,
  unbound,
  type ResilientClient4,
} from '../../mattermost/client';
import { ID_PATTERN, parseChannelRef, parsePostRef, parseUserRef } from '../../mattermost/refs';
import type { ChannelRef } from '../../policy/types';
import type { ToolContext } from '../context';
import { defineTool, ToolError, type ToolDefinition } from '../define';
import { atUser, iso, tildeChannel, type PostView } from '../render';

export type Ctx = ToolContext;

/** Mattermost's own cap on a post message (model.PostMessageMaxRunesV2). */
export const MESSAGE_MAX = 16_383;

// ---------------------------------------------------------------------------
// Parameters (names fixed by the brief: channel, user, post_id, root_id, ...)

export const channelParam = z
  .string()
  .max(200)
  .superRefine((v, c) => {
    const r = parseChannelRef(v);
    if (!r.ok) c.addIssue({ code: z.ZodIssueCode.custom, message: r.error });
  })
  .describe(
    'Channel: its id (26 characters), ~channel-name, team-name:channel-name, or @username for the direct message with that user.',
  );

export const userParam = z
  .string()
  .max(100)
  .superRefine((v, c) => {
    const r = parseUserRef(v);
    if (!r.ok) c.addIssue({ code: z.ZodIssueCode.custom, message: r.error });
  })
  .describe('User: id (26 characters) or @username.');

const postRef = (what: string) =>
  z
    .string()
    .max(500)
    .superRefine((v, c) => {
      const r = parsePostRef(v);
      if (!r.ok) c.addIssue({ code: z.ZodIssueCode.custom, message: r.error });
    })
    .describe(`${what}: a post id (26 characters) or a permalink such as https://chat.example.com/team/pl/<post id>.`);

export const postIdParam = postRef('Post');
export const rootIdParam = postRef('Thread to reply in (any post of the thread)');

export const idParam = (what: string) =>
  z
    .string()
    .length(26, `must be a ${what} id: exactly 26 characters`)
    .regex(ID_PATTERN, `must be a ${what} id: 26 characters of a-z and 0-9 (Mattermost's id alphabet)`)
    .describe(`${what} id (26 characters).`);

export const messageParam = z
  .string()
  .min(1, 'must not be empty')
  .max(MESSAGE_MAX, `must be at most ${MESSAGE_MAX} characters (Mattermost's limit); split it into several posts`)
  .describe(`Message text (Markdown), at most ${MESSAGE_MAX} characters. @mentions and ~channel links work.`);

export const limitParam = (def: number, max: number, what = 'items') =>
  z
    .number()
    .int()
    .min(1)
    .max(max, `must be at most ${max}; page with cursor for more`)
    .default(def)
    .describe(`How many ${what} to return (1-${max}, default ${def}).`);

export const cursorParam = z
  .string()
  .max(200)
  .optional()
  .describe('Cursor from the previous result ("More: call ... with ..."); omit for the first page.');

export const teamParam = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a team name or id')
  .optional()
  .describe("Team name or id; default: the bot's teams.");

// ---------------------------------------------------------------------------
// Output shapes

export const postShape = {
  id: z.string(),
  channel_id: z.string(),
  channel: z.string().describe('~name, or "DM with @user" / "group ..." for direct messages'),
  user_id: z.string(),
  user: z.string().describe('@username of the author'),
  message: z.string(),
  create_at: z.string().describe('ISO-8601'),
  edit_at: z.string().describe('ISO-8601, "" when never edited'),
  root_id: z.string().describe('id of the thread root, "" for a root post'),
  reply_count: z.number(),
  is_pinned: z.boolean(),
  file_ids: z.array(z.string()),
  type: z.string().describe('"" for normal posts, e.g. system_join_channel for system messages'),
};
export const postOut = z.object(postShape);

export const channelShape = {
  id: z.string(),
  name: z.string(),
  display_name: z.string(),
  type: z.enum(['O', 'P', 'D', 'G']).describe('O public, P private, D direct, G group'),
  team_id: z.string(),
  team: z.string().describe('team name, "" for direct and group messages'),
  ref: z.string().describe('how to name it in other calls: team:name, or the id for DMs'),
  purpose: z.string(),
  header: z.string(),
};
export const channelOut = z.object(channelShape);

export const userShape = {
  id: z.string(),
  username: z.string(),
  display_name: z.string(),
  nickname: z.string(),
  position: z.string(),
  is_bot: z.boolean(),
  roles: z.string(),
  deleted: z.boolean(),
};
export const userOut = z.object(userShape);

// ---------------------------------------------------------------------------
// Errors

type Hints = { notFound?: string; forbidden?: string; conflict?: string; badRequest?: string };

/** Turns any failure into a ToolError a model can act on. */
export function toToolError(err: unknown, hints: Hints = {}): ToolError {
  if (err instanceof ToolError) return err;
  if (err instanceof FileTooLargeError) {
    return new ToolError('validation', `${err.message}; ask for a smaller file or raise max_bytes up to the cap`);
  }
  if (isMattermostError(err)) {
    const said = err.message ? ` (Mattermost said: ${err.message})` : '';
    switch (err.kind) {
      case 'budget':
        return new ToolError('rate_limited', `${err.message}; wait a second and retry, and make fewer calls`);
      case 'circuit_open':
        return new ToolError('unavailable', `${err.message}; retry later`);
      case 'timeout':
      case 'network':
        return new ToolError('unavailable', `Mattermost is unreachable: ${err.message}; retry later`);
      case 'aborted':
        return new ToolError('unavailable', 'the request was cancelled');
    }
    const status = err.status;
    if (status === 429) {
      const after = err.retryAfterMs !== undefined ? ` after ${Math.ceil(err.retryAfterMs / 1000)} s` : ' shortly';
      return new ToolError('rate_limited', `Mattermost is rate-limiting the bot; retry${after}`);
    }
    if (status === 404) return new ToolError('not_found', hints.notFound ?? `not found${said}`);
    if (status === 401) {
      return new ToolError(
        'forbidden',
        "Mattermost refused the bridge's bot token; an admin must fix MATTERMOST_TOKEN (run `mattermost-mcp-bridge doctor`)",
      );
    }
    if (status === 403) {
      return new ToolError(
        'forbidden',
        `${hints.forbidden ?? 'the bot lacks the Mattermost permission for this'}${said}`,
      );
    }
    if (status === 409) return new ToolError('conflict', `${hints.conflict ?? 'conflict'}${said}`);
    if (status === 413) return new ToolError('validation', `too large for Mattermost${said}`);
    if (status === 501) return new ToolError('unavailable', `this feature is disabled on the Mattermost server${said}`);
    if (status >= 400 && status < 500) {
      return new ToolError('validation', `${hints.badRequest ?? 'Mattermost refused the request'}${said}`);
    }
    return new ToolError('unavailable', `Mattermost failed (HTTP ${status})${said}; retry later`);
  }
  return new ToolError('unavailable', `unexpected failure: ${(err as Error)?.message ?? String(err)}; retry later`);
}

/** Runs one Mattermost call, mapping its failure with call-specific hints. */
export async function mm<T>(fn: () => Promise<T>, hints: Hints = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toToolError(err, hints);
  }
}

/**
 * `defineTool` for Mattermost tools: the caller's cancellation reaches every
 * request the handler makes on `ctx.services.mattermost` (bindAbortSignal),
 * and any failure becomes a ToolError.
 */
export function mmTool<I extends ZodRawShape, O extends ZodRawShape>(
  def: ToolDefinition<I, O, Ctx>,
): ToolDefinition<I, O, Ctx> {
  const inner = def.handler;
  return defineTool<I, O, Ctx>({
    ...def,
    handler: async (args, ctx) => {
      if (ctx.signal.aborted) throw new ToolError('unavailable', 'the request was cancelled');
      try {
        const mattermost = bindAbortSignal(ctx.services.mattermost, ctx.signal);
        return await inner(args, { ...ctx, services: { ...ctx.services, mattermost } });
      } catch (err) {
        throw toToolError(err);
      }
    },
  });
}

// ---------------------------------------------------------------------------
// Guards

export function requireWrite(ctx: Ctx, tool: string): void {
  if (ctx.services.config.BRIDGE_READ_ONLY) {
    throw new ToolError(
      'forbidden',
      `${tool} is a write tool and the bridge runs read-only; an admin enables writes with BRIDGE_READ_ONLY=false`,
    );
  }
  if (!ctx.session.scopes.includes('write')) {
    throw new ToolError(
      'forbidden',
      `${tool} needs the write scope and API key "${ctx.session.keyName}" has only ${ctx.session.scopes.join('+') || 'no scopes'}; use a key with read+write (BRIDGE_API_KEYS entry name:key:read+write)`,
    );
  }
}

const DIRECT_HOW_TO =
  'direct and group messages are off for agents by default; an admin enables them with BRIDGE_ALLOW_DIRECT=true (and "allowDirect": true for this key in BRIDGE_API_KEYS_FILE)';

function policyRef(channel: Channel, team?: Team): ChannelRef {
  return {
    id: channel.id,
    name: channel.name,
    teamId: channel.team_id || undefined,
    teamName: team?.name,
    type: channel.type as ChannelRef['type'],
  };
}

/** Refuses channels outside this key's allow/deny policy, and DMs/GMs unless allowed. */
export async function guardChannel(ctx: Ctx, channel: Channel, label?: string): Promise<void> {
  const team = channel.team_id ? await ctx.services.directory.team(channel.team_id).catch(() => undefined) : undefined;
  const decision = ctx.session.policy.check(policyRef(channel, team));
  if (decision.ok) return;
  const name = label ?? (await channelLabel(ctx, channel));
  // The policy's reason names the setting to change; add ours only when it does not.
  const how = /BRIDGE_|API key/.test(decision.reason)
    ? ''
    : channel.type === 'D' || channel.type === 'G'
      ? `; ${DIRECT_HOW_TO}`
      : `; an admin allows it by adding ${team ? `${team.name}:${channel.name}` : `~${channel.name}`} to BRIDGE_CHANNELS_ALLOW and removing it from BRIDGE_CHANNELS_DENY (or in this key's "channels" in BRIDGE_API_KEYS_FILE)`;
  throw new ToolError('forbidden', `${name} is off limits for this API key: ${decision.reason}${how}`);
}

/** Whether DMs/GMs pass both the global policy and this key's. */
export function directAllowed(ctx: Ctx): boolean {
  return ctx.services.policy.allowsDirect && ctx.session.policy.allowsDirect;
}

/** Whether a channel passes the policy (for filtering lists and search results). */
export function channelVisible(ctx: Ctx, channel: Channel, team?: Team): boolean {
  try {
    return ctx.session.policy.check(policyRef(channel, team)).ok;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// The bot itself and its teams (cached per client: they rarely change)

type Memo<T> = { at: number; value: Promise<T> };
const meMemo = new WeakMap<Client4, Memo<UserProfile>>();
const teamsMemo = new WeakMap<Client4, Memo<Team[]>>();
const ME_TTL = 5 * 60_000;
const TEAMS_TTL = 60_000;

function memo<T>(map: WeakMap<Client4, Memo<T>>, client: Client4, ttl: number, load: () => Promise<T>): Promise<T> {
  const hit = map.get(client);
  if (hit && Date.now() - hit.at < ttl) return hit.value;
  const value = load();
  map.set(client, { at: Date.now(), value });
  value.catch(() => map.delete(client));
  return value;
}

export function botUser(ctx: Ctx): Promise<UserProfile> {
  // the client itself, not a call's bound one: the memo is shared, and no caller's cancellation should fail it
  const client = unbound(ctx.services.mattermost);
  return mm(() => memo(meMemo, client, ME_TTL, () => client.getMe()));
}

/** The bot's teams, narrowed to BRIDGE_TEAMS when it is set. */
export async function botTeams(ctx: Ctx): Promise<Team[]> {
  const client = unbound(ctx.services.mattermost); // as in botUser
  const all = await mm(() => memo(teamsMemo, client, TEAMS_TTL, () => client.getMyTeams()));
  const only = ctx.services.config.BRIDGE_TEAMS;
  return only.length ? all.filter((t) => only.includes(t.name) || only.includes(t.id)) : all;
}

/** A team given by name or id, among the bot's teams. */
export async function resolveTeam(ctx: Ctx, raw: string | undefined): Promise<Team | undefined> {
  if (!raw) return undefined;
  const teams = await botTeams(ctx);
  const t = teams.find((x) => x.id === raw || x.name === raw.toLowerCase());
  if (!t) {
    throw new ToolError(
      'not_found',
      `team "${raw}" is not one of the bot's teams (${teams.map((x) => x.name).join(', ') || 'none'}); call list_teams`,
    );
  }
  return t;
}

export function resilient(ctx: Ctx): ResilientClient4 {
  const c = ctx.services.mattermost as Partial<ResilientClient4>;
  if (typeof c.getFileInfo !== 'function' || typeof c.getFileBytes !== 'function') {
    throw new ToolError('unavailable', 'the bridge was started without its resilient Mattermost client');
  }
  return c as ResilientClient4;
}

// ---------------------------------------------------------------------------
// Resolution of references

export type ResolvedChannel = { channel: Channel; team?: Team; label: string };

/** A channel from an id, ~name, team:name or @username (DM); checked against the policy. */
export async function resolveChannel(ctx: Ctx, raw: string, opts: { guard?: boolean } = {}): Promise<ResolvedChannel> {
  const parsed = parseChannelRef(raw);
  if (!parsed.ok) throw new ToolError('validation', parsed.error);
  const ref = parsed.value;
  const dir = ctx.services.directory;
  let channel: Channel | undefined;
  if (ref.kind === 'id') {
    channel = await mm(() => dir.channel(ref.id));
    if (!channel) {
      throw new ToolError('not_found', `channel ${ref.id} not found or not visible to the bot; call list_channels`);
    }
  } else if (ref.kind === 'team-name') {
    const team = await mm(() => dir.teamByName(ref.team));
    if (!team) throw new ToolError('not_found', `team "${ref.team}" not found; call list_teams`);
    channel = await mm(() => dir.channelByName(team.id, ref.name));
    if (!channel) {
      throw new ToolError(
        'not_found',
        `channel ${ref.team}:${ref.name} not found (or private and the bot is not a member); call list_channels`,
      );
    }
  } else if (ref.kind === 'name') {
    const teams = await botTeams(ctx);
    const found = (await Promise.all(teams.map((t) => mm(() => dir.channelByName(t.id, ref.name))))).filter(
      (c): c is Channel => !!c,
    );
    if (found.length > 1) {
      const names = await Promise.all(
        found.map(async (c) => `${(await dir.team(c.team_id))?.name ?? c.team_id}:${c.name}`),
      );
      throw new ToolError('validation', `~${ref.name} exists in several teams; name one of ${names.join(', ')}`);
    }
    channel = found[0];
    if (!channel) {
      throw new ToolError(
        'not_found',
        `channel ~${ref.name} not found in the bot's teams (${teams.map((t) => t.name).join(', ') || 'none'}); call list_channels`,
      );
    }
  } else {
    // Refuse before createDirectChannel (get-or-create) when DMs are off globally or for this key.
    if (!directAllowed(ctx)) {
      throw new ToolError('forbidden', `a direct message with @${ref.username} is refused: ${DIRECT_HOW_TO}`);
    }
    const [me, user] = await Promise.all([botUser(ctx), mm(() => dir.userByUsername(ref.username))]);
    if (!user) throw new ToolError('not_found', `user @${ref.username} not found; call search_users`);
    channel = await mm(() => ctx.services.mattermost.createDirectChannel([me.id, user.id]), {
      forbidden: `the bot may not open a direct message with @${ref.username}`,
    });
  }
  const team = channel.team_id ? await mm(() => dir.team(channel.team_id)) : undefined;
  const label = await channelLabel(ctx, channel);
  if (opts.guard !== false) await guardChannel(ctx, channel, label);
  return { channel, team, label };
}

export async function resolveUser(ctx: Ctx, raw: string): Promise<UserProfile> {
  const parsed = parseUserRef(raw);
  if (!parsed.ok) throw new ToolError('validation', parsed.error);
  const ref = parsed.value;
  const dir = ctx.services.directory;
  const user = ref.kind === 'id' ? await mm(() => dir.user(ref.id)) : await mm(() => dir.userByUsername(ref.username));
  if (!user) {
    throw new ToolError(
      'not_found',
      `user ${ref.kind === 'id' ? ref.id : `@${ref.username}`} not found; call search_users`,
    );
  }
  return user;
}

/** A post by id or permalink, with its channel checked against the policy. */
export async function resolvePost(
  ctx: Ctx,
  raw: string,
  opts: { param?: string } = {},
): Promise<{ post: Post; channel: ResolvedChannel }> {
  const parsed = parsePostRef(raw);
  if (!parsed.ok) throw new ToolError('validation', `${opts.param ?? 'post_id'}: ${parsed.error}`);
  const id = parsed.value.id;
  const post = await ctx.services.mattermost.getPost(id).catch((err: unknown) => {
    // Mattermost answers 403 alike for unknown posts and posts in channels the bot cannot read.
    const status = (err as { status_code?: number }).status_code;
    if (status === 404 || status === 403) {
      throw new ToolError(
        'not_found',
        `post ${id} not found, or in a channel the bot cannot read; call read_channel or search_posts to find posts (join_channel for a public channel the bot is not in)`,
      );
    }
    throw toToolError(err);
  });
  const channel = await resolveChannel(ctx, post.channel_id);
  return { post, channel };
}

// ---------------------------------------------------------------------------
// Views

export async function channelLabel(ctx: Ctx, channel: Channel): Promise<string> {
  if (channel.type === 'D') {
    const me = await botUser(ctx).catch(() => undefined);
    const ids = channel.name.split('__');
    const other = ids.find((id) => id !== me?.id) ?? ids[0];
    const user = other ? await ctx.services.directory.user(other).catch(() => undefined) : undefined;
    return `DM with ${atUser(user?.username, other)}`;
  }
  if (channel.type === 'G') return `group message (${channel.display_name || channel.name})`;
  return tildeChannel(channel.name, channel.id);
}

export function channelView(channel: Channel, team: Team | undefined): z.infer<typeof channelOut> {
  return {
    id: channel.id,
    name: channel.name,
    display_name: channel.display_name ?? '',
    type: (['O', 'P', 'D', 'G'].includes(channel.type) ? channel.type : 'O') as 'O' | 'P' | 'D' | 'G',
    team_id: channel.team_id ?? '',
    team: team?.name ?? '',
    ref: team ? `${team.name}:${channel.name}` : channel.id,
    purpose: channel.purpose ?? '',
    header: channel.header ?? '',
  };
}

export function userView(u: UserProfile): z.infer<typeof userOut> {
  const full = [u.first_name, u.last_name].filter(Boolean).join(' ');
  return {
    id: u.id,
    username: u.username,
    display_name: full,
    nickname: u.nickname ?? '',
    position: u.position ?? '',
    is_bot: Boolean(u.is_bot),
    roles: u.roles ?? '',
    deleted: Boolean(u.delete_at),
  };
}

async function usernames(ctx: Ctx, ids: string[]): Promise<Map<string, string>> {
  const dir = ctx.services.directory;
  const unique = [...new Set(ids.filter(Boolean))];
  const out = new Map<string, string>();
  if (dir.usersByIds) {
    const found = await dir.usersByIds(unique).catch(() => new Map<string, UserProfile>());
    for (const [id, u] of found) out.set(id, u.username);
  }
  await Promise.all(
    unique
      .filter((id) => !out.has(id))
      .map(async (id) => {
        const u = await dir.user(id).catch(() => undefined);
        if (u) out.set(id, u.username);
      }),
  );
  return out;
}

/** Posts as views: authors and channels resolved to @username and ~name. */
export async function postViews(ctx: Ctx, posts: Post[], knownChannel?: ResolvedChannel): Promise<PostView[]> {
  const names = await usernames(
    ctx,
    posts.map((p) => p.user_id),
  );
  const labels = new Map<string, string>();
  if (knownChannel) labels.set(knownChannel.channel.id, knownChannel.label);
  for (const id of new Set(posts.map((p) => p.channel_id))) {
    if (labels.has(id)) continue;
    const c = await ctx.services.directory.channel(id).catch(() => undefined);
    labels.set(id, c ? await channelLabel(ctx, c) : `channel ${id}`);
  }
  return posts.map((p) => ({
    id: p.id,
    channel_id: p.channel_id,
    channel: labels.get(p.channel_id) ?? `channel ${p.channel_id}`,
    user_id: p.user_id,
    user: atUser(names.get(p.user_id) ?? (p.props?.override_username as string | undefined), p.user_id),
    message: p.message ?? '',
    create_at: iso(p.create_at),
    edit_at: iso(p.edit_at),
    root_id: p.root_id ?? '',
    reply_count: p.reply_count ?? 0,
    is_pinned: Boolean(p.is_pinned),
    file_ids: p.file_ids ?? [],
    type: p.type ?? '',
  }));
}

/** The max text size of one result (BRIDGE_OUTPUT_MAX_CHARS). */
export function outputMax(ctx: Ctx): number {
  return ctx.services.config.BRIDGE_OUTPUT_MAX_CHARS;
}
