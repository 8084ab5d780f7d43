/** Toolset `users`: look people up, see presence, set the bot's own status. */
import type { UserProfile, UserStatus } from '@mattermost/types/users';
import { z } from 'zod';
import { ToolError } from '../define';
import { assemble, iso } from '../render';
import {
  botUser,
  limitParam,
  mm,
  mmTool,
  outputMax,
  requireWrite,
  resolveTeam,
  resolveUser,
  teamParam,
  userParam,
  userShape,
  userView,
} from './common';

function describeUser(u: UserProfile): string {
  const v = userView(u);
  const bits = [
    v.display_name && `"${v.display_name}"`,
    v.nickname && `nickname ${v.nickname}`,
    v.position,
    v.is_bot && 'bot',
    v.deleted && 'deactivated',
  ]
    .filter(Boolean)
    .join(', ');
  return `@${u.username}${bits ? ` (${bits})` : ''}, id ${u.id}`;
}

export const getUser = mmTool({
  name: 'get_user',
  toolset: 'users',
  scope: 'read',
  description:
    'Profile of one Mattermost user given an id or @username: username, full name, nickname, position, whether it is a bot or deactivated. Use search_users when you only know part of a name.',
  input: { user: userParam },
  output: { user: z.object(userShape) },
  annotations: {
    title: 'Get user',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const u = await resolveUser(ctx, args.user);
    return { structured: { user: userView(u) }, text: describeUser(u) };
  },
});

export const searchUsers = mmTool({
  name: 'search_users',
  toolset: 'users',
  scope: 'read',
  description:
    'Finds users whose username, full name or nickname starts with the given text (e.g. "ali" finds @alice). Returns @username, name and id for each; use them as user in other tools or to @mention people.',
  input: {
    terms: z.string().trim().min(1, 'must not be empty').max(64).describe('Start of a username, name or nickname'),
    team: teamParam,
    limit: limitParam(20, 100, 'users'),
  },
  output: { users: z.array(z.object(userShape)) },
  annotations: {
    title: 'Search users',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const team = await resolveTeam(ctx, args.team);
    const found = await mm(() =>
      ctx.services.mattermost.searchUsers(args.terms.replace(/^@/, ''), {
        ...(team && { team_id: team.id }),
        allow_inactive: false,
        limit: args.limit,
      }),
    );
    if (!Array.isArray(found))
      throw new ToolError('unavailable', 'Mattermost answered the user search in an unexpected shape');
    const users = found.slice(0, args.limit);
    const { text, kept } = assemble(
      users.length
        ? `${users.length} user(s) matching "${args.terms}":`
        : `No user matches "${args.terms}"; try fewer letters.`,
      users.map((u) => `- ${describeUser(u)}`),
      (kept) => (kept < users.length ? `${users.length - kept} more not shown; narrow terms.` : ''),
      outputMax(ctx),
    );
    return { structured: { users: users.slice(0, kept).map(userView) }, text };
  },
});

const STATUSES = ['online', 'away', 'dnd', 'offline'] as const;
const statusShape = {
  user_id: z.string(),
  user: z.string().describe('@username'),
  status: z.string().describe('online, away, dnd (do not disturb) or offline'),
  manual: z.boolean().describe('set by the user rather than by activity'),
  last_activity_at: z.string().describe('ISO-8601, "" when unknown'),
};

function statusView(s: UserStatus, username: string) {
  return {
    user_id: s.user_id,
    user: `@${username}`,
    status: s.status,
    manual: Boolean(s.manual),
    last_activity_at: iso(s.last_activity_at),
  };
}

export const getUserStatus = mmTool({
  name: 'get_user_status',
  toolset: 'users',
  scope: 'read',
  description:
    "A user's presence (online, away, dnd, offline), whether they set it themselves, and their last activity time. user is an id or @username.",
  input: { user: userParam },
  output: statusShape,
  annotations: {
    title: 'Get user status',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const u = await resolveUser(ctx, args.user);
    const s = await mm(() => ctx.services.mattermost.getStatus(u.id), { notFound: `no status for @${u.username}` });
    const view = statusView({ ...s, user_id: s.user_id || u.id }, u.username);
    return {
      structured: view,
      text: `@${u.username} is ${view.status}${view.manual ? ' (set manually)' : ''}${view.last_activity_at ? `; last active ${view.last_activity_at}` : ''}.`,
    };
  },
});

export const setStatus = mmTool({
  name: 'set_status',
  toolset: 'users',
  scope: 'write',
  description:
    "Sets the bot's own presence: online, away, dnd (do not disturb; optionally until dnd_end_time) or offline. Other users' status cannot be changed.",
  input: {
    status: z.enum(STATUSES).describe('online, away, dnd or offline'),
    dnd_end_time: z
      .string()
      .datetime({ offset: true, message: 'must be an ISO-8601 time such as 2026-11-21T18:00:00Z' })
      .optional()
      .describe('With status dnd: when it ends (ISO-8601).'),
  },
  output: statusShape,
  annotations: {
    title: 'Set bot status',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'set_status');
    if (args.dnd_end_time && args.status !== 'dnd') {
      throw new ToolError('validation', 'dnd_end_time goes only with status "dnd"');
    }
    const me = await botUser(ctx);
    const end = args.dnd_end_time ? Math.floor(Date.parse(args.dnd_end_time) / 1000) : undefined;
    const s = await mm(() =>
      ctx.services.mattermost.updateStatus({
        user_id: me.id,
        status: args.status,
        ...(end !== undefined && { dnd_end_time: end }),
      } as UserStatus),
    );
    const view = statusView({ ...s, user_id: s.user_id || me.id, status: s.status || args.status }, me.username);
    return {
      structured: view,
      text: `The bot @${me.username} is now ${view.status}${args.dnd_end_time ? ` until ${args.dnd_end_time}` : ''}.`,
    };
  },
});

export const usersTools = [getUser, searchUsers, getUserStatus, setStatus];
