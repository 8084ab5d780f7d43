/** Toolset `channels`: find channels, inspect one, join, create. */
import type { Channel } from '@mattermost/types/channels';
import type { Team } from '@mattermost/types/teams';
import { z } from 'zod';
import { ToolError } from '../define';
import { assemble, nextPageLine, oneLine } from '../render';
import {
  botTeams,
  botUser,
  channelLabel,
  channelParam,
  channelShape,
  channelView,
  channelVisible,
  cursorParam,
  limitParam,
  mm,
  mmTool,
  outputMax,
  requireWrite,
  resolveChannel,
  resolveTeam,
  teamParam,
  type Ctx,
} from './common';

const TYPE_WORD: Record<string, string> = { O: 'public', P: 'private', D: 'direct', G: 'group' };

async function renderChannel(ctx: Ctx, c: Channel, team: Team | undefined): Promise<string> {
  const label = await channelLabel(ctx, c);
  const where = team ? `, team ${team.name}` : '';
  const title = c.display_name && c.type !== 'D' ? ` "${c.display_name}"` : '';
  const purpose = c.purpose ? ` — ${oneLine(c.purpose, 100)}` : '';
  return `- ${label}${title} (${TYPE_WORD[c.type] ?? c.type}${where}, id ${c.id})${purpose}`;
}

const PUBLIC_PAGE = 200;

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const m = /^offset:(\d{1,6})$/.exec(cursor);
  if (!m) {
    throw new ToolError(
      'validation',
      `cursor "${cursor}" is not from list_channels; pass the cursor of the previous result or omit it`,
    );
  }
  return Number(m[1]);
}

export const listChannels = mmTool({
  name: 'list_channels',
  toolset: 'channels',
  scope: 'read',
  description:
    'Lists channels: those the bot is in (scope "member", the default: across its teams, direct/group messages too when allowed) or the public channels of a team it could join with join_channel (scope "public"). Each line shows ~name, display name, type, team and id; use ~name, team:name or the id in other tools. Channels outside this key\'s policy are left out and counted. Pages with cursor.',
  input: {
    team: teamParam,
    scope: z
      .enum(['member', 'public'])
      .default('member')
      .describe('"member": channels the bot is in; "public": public channels of the team it may join'),
    limit: limitParam(50, 200, 'channels'),
    cursor: cursorParam,
  },
  output: {
    channels: z.array(z.object({ ...channelShape, member: z.boolean().describe('whether the bot is in it') })),
    next_cursor: z.string().describe('"" when there is no more'),
    hidden_by_policy: z.number().describe('channels left out because this key may not use them'),
  },
  annotations: {
    title: 'List channels',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const team = await resolveTeam(ctx, args.team);
    const teams = team ? [team] : await botTeams(ctx);
    const teamById = new Map(teams.map((t) => [t.id, t]));
    // Each listed channel with its position in the full list, so a cursor resumes right after what was shown.
    let page: { c: Channel; pos: number }[];
    let isMember: (c: Channel) => boolean;
    let end: number;
    let total: number | undefined;
    let hidden = 0;
    const offset = decodeCursor(args.cursor);
    if (args.scope === 'member') {
      const lists = await Promise.all(teams.map((t) => mm(() => ctx.services.mattermost.getMyChannels(t.id))));
      const seen = new Map<string, Channel>();
      for (const c of lists.flat()) if (!c.delete_at && !seen.has(c.id)) seen.set(c.id, c);
      const order = (c: Channel) => ({ O: 0, P: 1, G: 2, D: 3 })[c.type as 'O'] ?? 4;
      const all = [...seen.values()].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
      const visible = all.filter((c) => channelVisible(ctx, c, teamById.get(c.team_id)));
      hidden = all.length - visible.length;
      page = visible.slice(offset, offset + args.limit).map((c, i) => ({ c, pos: offset + i }));
      isMember = () => true;
      total = visible.length;
      end = offset + page.length;
    } else {
      if (teams.length !== 1) {
        throw new ToolError(
          'validation',
          `the bot is in ${teams.length} teams; pass team (one of ${teams.map((t) => t.name).join(', ')}) with scope "public"`,
        );
      }
      // Positions count every public channel in server order; pages of PUBLIC_PAGE are fetched as needed.
      page = [];
      let pos = offset;
      let exhausted = false;
      while (page.length < args.limit && !exhausted) {
        const pageNo = Math.floor(pos / PUBLIC_PAGE);
        const got = await mm(() => ctx.services.mattermost.getChannels(teams[0].id, pageNo, PUBLIC_PAGE));
        exhausted = got.length < PUBLIC_PAGE;
        for (let i = pos - pageNo * PUBLIC_PAGE; i < got.length && page.length < args.limit; i++, pos++) {
          if (channelVisible(ctx, got[i], teams[0])) page.push({ c: got[i], pos });
          else hidden++;
        }
        if (pos < (pageNo + 1) * PUBLIC_PAGE && !exhausted) break;
        if (exhausted && pos >= pageNo * PUBLIC_PAGE + got.length) total = pos;
      }
      const mine = new Set((await mm(() => ctx.services.mattermost.getMyChannels(teams[0].id))).map((c) => c.id));
      isMember = (c) => mine.has(c.id);
      end = pos;
    }
    const views = page.map(({ c }) => ({ ...channelView(c, teamById.get(c.team_id)), member: isMember(c) }));
    const lines = await Promise.all(
      page.map(
        async ({ c }) =>
          `${await renderChannel(ctx, c, teamById.get(c.team_id))}${args.scope === 'public' && isMember(c) ? ' [member]' : ''}`,
      ),
    );
    const header = `${page.length} channel(s)${args.scope === 'public' ? ` public in team ${teams[0].name} (those marked [member] the bot is in; join the others with join_channel)` : ' the bot is a member of'}${hidden ? `; ${hidden} hidden by this key's channel policy` : ''}:`;
    const cursorAfter = (kept: number) => {
      if (kept < page.length) return `offset:${page[kept - 1] ? page[kept - 1].pos + 1 : offset}`;
      return total !== undefined && end >= total ? '' : `offset:${end}`;
    };
    const { text, kept } = assemble(
      header,
      lines,
      (kept) => {
        const next = cursorAfter(kept);
        return next ? nextPageLine('list_channels', { ...args, cursor: next }) : '';
      },
      outputMax(ctx),
    );
    return {
      structured: { channels: views.slice(0, kept), next_cursor: cursorAfter(kept), hidden_by_policy: hidden },
      text,
    };
  },
});

export const getChannel = mmTool({
  name: 'get_channel',
  toolset: 'channels',
  scope: 'read',
  description:
    'Details of one channel: name, display name, type (O public, P private, D direct, G group), team, purpose, header and member count. channel is an id, ~name, team:name or @username (the DM with that user).',
  input: { channel: channelParam },
  output: { channel: z.object(channelShape), member_count: z.number(), pinned_post_count: z.number() },
  annotations: {
    title: 'Get channel',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const { channel, team, label } = await resolveChannel(ctx, args.channel);
    const stats = await mm(() => ctx.services.mattermost.getChannelStats(channel.id), {
      forbidden: `the bot is not a member of ${label}; call join_channel first`,
    });
    const view = channelView(channel, team);
    const text = [
      `${label}${channel.display_name && channel.type !== 'D' ? ` "${channel.display_name}"` : ''}: ${TYPE_WORD[channel.type] ?? channel.type} channel${team ? ` in team ${team.name}` : ''}, id ${channel.id}, ${stats.member_count} member(s), ${stats.pinnedpost_count ?? 0} pinned post(s).`,
      channel.purpose ? `Purpose: ${channel.purpose}` : '',
      channel.header ? `Header: ${channel.header}` : '',
      `Reference it as ${view.ref}.`,
    ]
      .filter(Boolean)
      .join('\n');
    return {
      structured: {
        channel: view,
        member_count: stats.member_count ?? 0,
        pinned_post_count: stats.pinnedpost_count ?? 0,
      },
      text,
    };
  },
});

export const joinChannel = mmTool({
  name: 'join_channel',
  toolset: 'channels',
  scope: 'write',
  description:
    'Adds the bot to a channel so it can read and post there (public channels; private ones need an invitation by a member). Joining a channel the bot is already in does nothing. channel is an id, ~name or team:name.',
  input: { channel: channelParam },
  output: { channel: z.object(channelShape) },
  annotations: {
    title: 'Join channel',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'join_channel');
    const { channel, team, label } = await resolveChannel(ctx, args.channel);
    if (channel.type === 'D' || channel.type === 'G') {
      throw new ToolError('validation', `${label} is a direct or group message; there is nothing to join`);
    }
    const me = await botUser(ctx);
    await mm(() => ctx.services.mattermost.addToChannel(me.id, channel.id), {
      forbidden: `the bot may not join ${label}${channel.type === 'P' ? ' (private: a member must add it)' : ''}`,
      notFound: `channel ${label} not found; call list_channels`,
    });
    return {
      structured: { channel: channelView(channel, team) },
      text: `The bot is now a member of ${label} (id ${channel.id}).`,
    };
  },
});

const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{1,63}$/;

export const createChannel = mmTool({
  name: 'create_channel',
  toolset: 'channels',
  scope: 'write',
  description:
    'Creates a public or private channel in a team and makes the bot its first member. name is the URL name (lower-case letters, digits, - and _, 2-64 chars, e.g. "release-42"); display_name is what people see. Fails with a conflict when the name is taken (then call join_channel).',
  input: {
    team: teamParam,
    name: z
      .string()
      .max(64)
      .regex(CHANNEL_NAME, 'must be 2-64 lower-case letters, digits, - or _, starting with a letter or digit')
      .describe('URL name, e.g. "release-42"'),
    display_name: z.string().trim().min(1).max(64).describe('Name people see, e.g. "Release 42"'),
    type: z
      .enum(['public', 'private'])
      .default('public')
      .describe('"public" (anyone in the team may join) or "private"'),
    purpose: z.string().max(250).optional().describe('What the channel is for (shown in the channel info)'),
    header: z.string().max(1024).optional().describe('Text shown at the top of the channel (Markdown)'),
  },
  output: { channel: z.object(channelShape) },
  annotations: {
    title: 'Create channel',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'create_channel');
    const team = (await resolveTeam(ctx, args.team)) ?? (await onlyTeam(ctx));
    const type = args.type === 'private' ? 'P' : 'O';
    const decision = ctx.session.policy.check({ id: '', name: args.name, teamId: team.id, teamName: team.name, type });
    if (!decision.ok) {
      throw new ToolError(
        'forbidden',
        `a channel named ${team.name}:${args.name} would be off limits for this API key (${decision.reason}); an admin allows it in BRIDGE_CHANNELS_ALLOW / BRIDGE_CHANNELS_DENY`,
      );
    }
    const existing = await mm(() => ctx.services.directory.channelByName(team.id, args.name));
    if (existing) {
      throw new ToolError(
        'conflict',
        `channel ${team.name}:${args.name} already exists (id ${existing.id}); call join_channel`,
      );
    }
    const created = await mm(
      () =>
        ctx.services.mattermost.createChannel({
          team_id: team.id,
          name: args.name,
          display_name: args.display_name,
          type,
          purpose: args.purpose ?? '',
          header: args.header ?? '',
        }),
      {
        forbidden: `the bot may not create ${args.type} channels in team ${team.name}`,
        badRequest: `Mattermost refused to create ${team.name}:${args.name}`,
      },
    );
    return {
      structured: { channel: channelView(created, team) },
      text: `Created ${args.type} channel ~${created.name} "${created.display_name}" in team ${team.name} (id ${created.id}).`,
    };
  },
});

async function onlyTeam(ctx: Ctx): Promise<Team> {
  const teams = await botTeams(ctx);
  if (teams.length === 1) return teams[0];
  throw new ToolError(
    'validation',
    teams.length
      ? `pass team: one of ${teams.map((t) => t.name).join(', ')}`
      : 'the bot is in no team; call list_teams',
  );
}

export const channelsTools = [listChannels, getChannel, joinChannel, createChannel];
