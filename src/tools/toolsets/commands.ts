/**
 * Toolset `commands`: slash commands the bot can run. `respond_to_command`
 * (answering `/mcp ask` tasks) joins this toolset from the slash-command area.
 */
import type { Command, CommandResponse } from '@mattermost/types/integrations';
import { z } from 'zod';
import { ToolError } from '../define';
import { assemble, capText, oneLine } from '../render';
import {
  botTeams,
  channelParam,
  mm,
  mmTool,
  outputMax,
  requireWrite,
  resolveChannel,
  resolvePost,
  resolveTeam,
  rootIdParam,
  teamParam,
} from './common';

const commandShape = {
  trigger: z.string().describe('what follows the slash, e.g. "echo" for /echo'),
  team: z.string(),
  description: z.string(),
  hint: z.string().describe('the arguments it expects'),
  custom: z.boolean().describe('registered by an integration rather than built in'),
};

export const listCommands = mmTool({
  name: 'list_commands',
  toolset: 'commands',
  scope: 'read',
  description:
    "Lists the slash commands available in the bot's teams (built-in ones such as /echo, /away, /header, and those registered by integrations): trigger, description and argument hint. Run one with execute_command.",
  input: { team: teamParam },
  output: { commands: z.array(z.object(commandShape)) },
  annotations: {
    title: 'List slash commands',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const team = await resolveTeam(ctx, args.team);
    const teams = team ? [team] : await botTeams(ctx);
    const lists = await Promise.all(
      teams.map(async (t) => ({ team: t, list: await mm(() => ctx.services.mattermost.getCommandsList(t.id)) })),
    );
    const seen = new Set<string>();
    const commands: z.infer<z.ZodObject<typeof commandShape>>[] = [];
    for (const { team: t, list } of lists) {
      for (const c of (Array.isArray(list) ? list : []) as Command[]) {
        const key = `${t.name}/${c.trigger}`;
        if (!c.trigger || seen.has(key) || c.delete_at) continue;
        seen.add(key);
        // Never echo the command's token or callback URL: they are secrets of the integration.
        commands.push({
          trigger: c.trigger,
          team: t.name,
          description: c.auto_complete_desc || c.description || c.display_name || '',
          hint: c.auto_complete_hint ?? '',
          custom: Boolean(c.id),
        });
      }
    }
    commands.sort((a, b) => a.team.localeCompare(b.team) || a.trigger.localeCompare(b.trigger));
    const { text, kept } = assemble(
      commands.length ? `${commands.length} slash command(s):` : 'No slash commands are available to the bot.',
      commands.map(
        (c) =>
          `- /${c.trigger}${c.hint ? ` ${c.hint}` : ''}${teams.length > 1 ? ` (team ${c.team})` : ''}${c.description ? ` — ${oneLine(c.description, 100)}` : ''}`,
      ),
      (kept) => (kept < commands.length ? `${commands.length - kept} more not shown; pass team to narrow.` : ''),
      outputMax(ctx),
    );
    return { structured: { commands: commands.slice(0, kept) }, text };
  },
});

export const executeCommand = mmTool({
  name: 'execute_command',
  toolset: 'commands',
  scope: 'write',
  description:
    'Runs a slash command as the bot in a channel, exactly as if the bot typed it, e.g. command "/echo hello" or "/remind ...". Integrations behind custom commands may act outside Mattermost. Returns the command\'s response (ephemeral text is returned to you; in_channel responses are also posted). root_id runs it inside a thread.',
  input: {
    channel: channelParam,
    command: z
      .string()
      .trim()
      .regex(/^\/[^\s/]+/, 'must start with / and the trigger, e.g. "/echo hello"')
      .max(4000)
      .describe('The full command line, e.g. "/echo hello world"'),
    root_id: rootIdParam.optional(),
  },
  output: {
    channel: z.string(),
    response_type: z.string().describe('"ephemeral" (only the bot saw it) or "in_channel" (posted)'),
    text: z.string(),
    goto_location: z.string(),
  },
  annotations: {
    title: 'Run slash command',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'execute_command');
    const where = await resolveChannel(ctx, args.channel);
    let rootId: string | undefined;
    if (args.root_id) {
      const r = await resolvePost(ctx, args.root_id, { param: 'root_id' });
      if (r.channel.channel.id !== where.channel.id) {
        throw new ToolError('validation', `root_id is in ${r.channel.label}, not in ${where.label}`);
      }
      rootId = r.post.root_id || r.post.id;
    }
    const teamId = where.channel.team_id || (await botTeams(ctx))[0]?.id;
    const trigger = args.command.split(/\s/)[0];
    const res = (await mm(
      () =>
        ctx.services.mattermost.executeCommand(args.command, {
          channel_id: where.channel.id,
          ...(teamId && { team_id: teamId }),
          ...(rootId && { root_id: rootId }),
        }),
      {
        notFound: `${trigger} is not a command here; call list_commands`,
        forbidden: `the bot may not run ${trigger} in ${where.label}`,
        badRequest: `${trigger} failed`,
      },
    )) as Partial<CommandResponse> | string | undefined;
    const r = typeof res === 'object' && res ? res : { text: typeof res === 'string' ? res : '' };
    const responseType = r.response_type || 'ephemeral';
    const text = r.text ?? '';
    return {
      structured: { channel: where.label, response_type: responseType, text, goto_location: r.goto_location ?? '' },
      text: capText(
        `Ran ${trigger} in ${where.label}${rootId ? ` (thread ${rootId})` : ''}. Response (${responseType}):${text ? `\n${text}` : ' none'}${r.goto_location ? `\nGo to: ${r.goto_location}` : ''}`,
        outputMax(ctx),
        'The response is longer than one result can hold.',
      ),
    };
  },
});

export const commandsTools = [listCommands, executeCommand];
