/** Toolset `context`: who the bot is, where it can act, what this key may do. */
import { z } from 'zod';
import { botTeams, botUser, directAllowed, mmTool, userShape, userView } from './common';

const teamShape = {
  id: z.string(),
  name: z.string(),
  display_name: z.string(),
  open: z.boolean().describe('anyone on the server may join'),
};

export const getMe = mmTool({
  name: 'get_me',
  toolset: 'context',
  scope: 'read',
  description:
    "Who you are in Mattermost: the bot account the bridge acts as (id, @username), its teams, and what this API key may do (scopes, read-only mode, whether direct messages are allowed). Call it first when you need the bot's own user id or team names. Takes no arguments.",
  input: {},
  output: {
    user: z.object(userShape),
    teams: z.array(z.object(teamShape)),
    key: z.string().describe('name of the API key in use'),
    scopes: z.array(z.string()),
    read_only: z.boolean(),
    direct_messages: z.boolean().describe('whether reading and sending DMs/group messages is allowed'),
    mattermost_url: z.string(),
  },
  annotations: {
    title: 'Who am I',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (_args, ctx) => {
    const [me, teams] = await Promise.all([botUser(ctx), botTeams(ctx)]);
    const cfg = ctx.services.config;
    const direct = directAllowed(ctx);
    const readOnly = cfg.BRIDGE_READ_ONLY || !ctx.session.scopes.includes('write');
    const teamViews = teams.map((t) => ({
      id: t.id,
      name: t.name,
      display_name: t.display_name,
      open: t.type === 'O' || Boolean(t.allow_open_invite),
    }));
    const text = [
      `You act in Mattermost as @${me.username} (user id ${me.id}${me.is_bot ? ', a bot' : ''}) on ${cfg.MATTERMOST_URL ?? 'the configured server'}.`,
      `Teams: ${teamViews.map((t) => `${t.name} (${t.display_name}, id ${t.id})`).join('; ') || 'none: the bot is in no team yet'}.`,
      `API key "${ctx.session.keyName}": scopes ${ctx.session.scopes.join('+')}; ${readOnly ? 'read-only (write tools are refused)' : 'may write'}; direct messages ${direct ? 'allowed' : 'off (BRIDGE_ALLOW_DIRECT=false)'}.`,
    ].join('\n');
    return {
      structured: {
        user: userView(me),
        teams: teamViews,
        key: ctx.session.keyName,
        scopes: [...ctx.session.scopes],
        read_only: readOnly,
        direct_messages: direct,
        mattermost_url: cfg.MATTERMOST_URL ?? '',
      },
      text,
    };
  },
});

export const listTeams = mmTool({
  name: 'list_teams',
  toolset: 'context',
  scope: 'read',
  description:
    'Lists the Mattermost teams the bot belongs to (limited to BRIDGE_TEAMS when the admin set it): id, name and display name. Team names are what you put before the colon in team:channel references. Takes no arguments.',
  input: {},
  output: { teams: z.array(z.object(teamShape)) },
  annotations: {
    title: 'List teams',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (_args, ctx) => {
    const teams = (await botTeams(ctx)).map((t) => ({
      id: t.id,
      name: t.name,
      display_name: t.display_name,
      open: t.type === 'O' || Boolean(t.allow_open_invite),
    }));
    const text = teams.length
      ? [`${teams.length} team(s):`, ...teams.map((t) => `- ${t.name} "${t.display_name}" (id ${t.id})`)].join('\n')
      : 'The bot belongs to no team; an admin adds it with `mattermost-mcp-bridge install` or in the System Console.';
    return { structured: { teams }, text };
  },
});

export const contextTools = [getMe, listTeams];
