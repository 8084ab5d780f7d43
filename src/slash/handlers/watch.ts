/**
 * `/mcp watch [~channel]`, `/mcp unwatch [~channel]` and `/mcp watching`:
 * the watch list (the same one `watch_channel` edits). Changing it is allowed
 * for BRIDGE_WATCH_ROLES, checked through Mattermost's REST API as the bot
 * sees the user and the channel; the watch list itself applies team scope,
 * the channel policy and the DM guard.
 */
import type { Channel } from '@mattermost/types/channels';
import { isMattermostError } from '../../mattermost/client';
import { ID_PATTERN } from '../../mattermost/refs';
import type { Invocation, InvocationForm, SlashEnv } from '../context';
import { allowedBy, describeRoles, userRoles } from '../permissions';
import { ephemeral, type CommandResponse } from '../response';
import { UsageError } from '../usage';
import { WatchRefusedError } from '../../watches';

export interface ChannelArg {
  /** Absent: the channel the command was typed in. */
  channel?: { id?: string; name?: string };
}

const CHANNEL_NAME = /^[a-z0-9_-]{1,64}$/;

export const parseChannelArg =
  (command: string) =>
  (rest: string, form: InvocationForm): ChannelArg | UsageError => {
    const words = rest.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return {};
    if (words.length > 1) return new UsageError(`\`${command}\` takes one channel, e.g. \`${command} ~town-square\``);
    const word = words[0];
    if (ID_PATTERN.test(word)) return { channel: { id: word } };
    const name = word.replace(/^~/, '').toLowerCase();
    if (!CHANNEL_NAME.test(name)) {
      return new UsageError(`\`${word.slice(0, 70)}\` is not a channel; write it as ~channel-name`);
    }
    // Mattermost resolved ~mentions of public channels for us: take the id when it is there.
    const mentioned = form.channelMentions.find((m) => m.name === name);
    return { channel: mentioned ? { id: mentioned.id, name } : { name } };
  };

const isHidden = (err: unknown) => isMattermostError(err) && (err.status === 403 || err.status === 404);

/** The target channel as the bot sees it; undefined when the bot cannot see it. */
async function targetChannel(inv: Invocation<ChannelArg>, env: SlashEnv): Promise<Channel | undefined> {
  const dir = env.services.directory;
  const want = inv.args.channel;
  try {
    if (!want) return await dir.channel(inv.form.channelId);
    if (want.id) return await dir.channel(want.id);
    return await dir.channelByName(inv.form.teamId, want.name as string);
  } catch (err) {
    if (isHidden(err)) return undefined;
    throw err;
  }
}

const label = (inv: Invocation<ChannelArg>, channel?: Channel) =>
  channel ? `~${channel.name}` : inv.args.channel?.name ? `~${inv.args.channel.name}` : 'this channel';

export async function runWatch(
  inv: Invocation<ChannelArg>,
  env: SlashEnv,
  action: 'add' | 'remove',
): Promise<CommandResponse> {
  const { services } = env;
  const { config } = services;
  const channel = await targetChannel(inv, env);
  const bot = await services.mattermost.getMe();
  if (!channel) {
    return ephemeral(
      `I cannot see ${label(inv)}: it does not exist in this team, or it is private and @${bot.username} is not a member. ` +
        `Add the bot first (\`/invite @${bot.username}\` in that channel), then try again.`,
    );
  }
  const name = label(inv, channel);
  if (channel.type === 'D' || channel.type === 'G') {
    return ephemeral(
      `Direct and group messages cannot be watched: the bridge keeps them away from agents (an admin can allow them with BRIDGE_ALLOW_DIRECT=true, but they are never added to the watch list).`,
    );
  }
  const roles = await userRoles(services.mattermost, inv.form.userId, channel.id);
  if (!allowedBy(roles, config.BRIDGE_WATCH_ROLES)) {
    return ephemeral(
      `Only ${describeRoles(config.BRIDGE_WATCH_ROLES)} of ${name} may change what the agents watch ` +
        `(set by the bridge's BRIDGE_WATCH_ROLES). Ask one of them, or a system admin.`,
    );
  }
  if (action === 'add') {
    const before = await services.watches.list();
    let added: boolean;
    try {
      added = await services.watches.add({
        channelId: channel.id,
        channelName: channel.name,
        teamId: channel.team_id,
        addedBy: `@${inv.form.userName || inv.form.userId}`,
      });
    } catch (err) {
      if (!(err instanceof WatchRefusedError)) throw err;
      return ephemeral(
        `${name} cannot be watched: ${err.reason}. An admin decides this with BRIDGE_CHANNELS_ALLOW / BRIDGE_CHANNELS_DENY and BRIDGE_TEAMS.`,
      );
    }
    const lines = [added ? `The agents now watch ${name}.` : `${name} was already watched; nothing changed.`];
    if (added && before.length === 0) {
      lines.push('This is the first watched channel, so from now on only watched channels are streamed to the agents.');
    }
    if (!(await botIsMember(env, channel.id, bot.id))) {
      lines.push(
        `Note: @${bot.username} is not a member of ${name}, so nothing from it can be streamed until someone adds the bot (\`/invite @${bot.username}\`).`,
      );
    }
    return ephemeral(lines.join('\n'));
  }
  const removed = await services.watches.remove(channel.id);
  const lines = [removed ? `The agents no longer watch ${name}.` : `${name} was not watched; nothing changed.`];
  if (removed && (await services.watches.list()).length === 0) {
    lines.push('The watch list is now empty, so every channel the bot is a member of is streamed again.');
  }
  return ephemeral(lines.join('\n'));
}

async function botIsMember(env: SlashEnv, channelId: string, botId: string): Promise<boolean> {
  try {
    await env.services.mattermost.getChannelMember(channelId, botId);
    return true;
  } catch (err) {
    if (isHidden(err)) return false;
    throw err;
  }
}

export async function runWatching(env: SlashEnv): Promise<CommandResponse> {
  const watches = await env.services.watches.list();
  if (watches.length === 0) {
    return ephemeral('No watch list: every channel the bot is a member of is streamed to the agents.');
  }
  const rows = watches.map((w) => `| ~${w.channelName} | ${w.addedBy} | ${w.addedAt} |`);
  return ephemeral(
    [
      `The agents watch ${watches.length} channel${watches.length === 1 ? '' : 's'}:`,
      '| Channel | Added by | Since |',
      '|:--|:--|:--|',
      ...rows,
    ].join('\n'),
  );
}
