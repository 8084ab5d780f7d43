/**
 * THE command table: every `/mcp` subcommand once, with its arguments,
 * summary, audience and where it runs. Dispatch, `/mcp help`, the usage
 * answers and the manifest's auto-complete are all generated from it, so
 * they cannot disagree (test/slash/manifest.test.ts fails when manifest.json
 * drifts from it).
 */
import type { WatchRole } from './permissions';
import { describeRoles } from './permissions';
import { ephemeral, type CommandResponse } from './response';
import type { Invocation, InvocationForm, SlashEnv } from './context';
import { runAsk, parseAskArgs, type AskArgs } from './handlers/ask';
import { runStatus } from './handlers/status';
import { runWatch, runWatching, parseChannelArg, type ChannelArg } from './handlers/watch';
import { runSessions } from './handlers/sessions';
import { UsageError } from './usage';

/** Who may run a command: everyone, the BRIDGE_WATCH_ROLES, or system admins. */
export type Audience = 'everyone' | 'watchers' | 'admins';

export { UsageError };

export interface CommandSpec<A = unknown> {
  name: string;
  /** Argument syntax as shown in help and auto-complete ('' when none). */
  args: string;
  summary: string;
  /** One line about the argument, for auto-complete. */
  argHelp?: string;
  who: Audience;
  /**
   * `inline`: answered in the HTTP reply (Redis only, well under 3 s).
   * `followup`: may call Mattermost's REST API, so it runs on the `slash`
   * BullMQ queue; the reply waits briefly for it, else the answer follows
   * through the response URL.
   */
  runs: 'inline' | 'followup';
  /** Validates the text after the subcommand; the args must be JSON (they travel in a job). */
  parse(rest: string, form: InvocationForm): A | UsageError;
  run(inv: Invocation<A>, env: SlashEnv): Promise<CommandResponse>;
}

const noArgs = (name: string) => (rest: string) =>
  rest.trim() === '' ? null : new UsageError(`\`${name}\` takes no arguments`);

// Declared with `satisfies` so each entry keeps its own argument type.
const help: CommandSpec<{ topic?: string }> = {
  name: 'help',
  args: '[command]',
  summary: 'Show the commands, or how to use one of them',
  argHelp: 'A command to explain, e.g. watch',
  who: 'everyone',
  runs: 'inline',
  parse: (rest) => {
    const topic = rest.trim().toLowerCase();
    if (!topic) return {};
    if (/\s/.test(topic)) return new UsageError('`help` takes at most one command name');
    return { topic };
  },
  run: async (inv, env) => {
    if (!inv.args.topic) return ephemeral(helpText(inv.trigger, env.services.config.BRIDGE_WATCH_ROLES));
    const spec = findCommand(inv.args.topic);
    if (!spec) return unknownCommand(inv.trigger, inv.args.topic, env.services.config.BRIDGE_WATCH_ROLES);
    return ephemeral(usageOf(inv.trigger, spec, env.services.config.BRIDGE_WATCH_ROLES));
  },
};

export const COMMANDS: readonly CommandSpec<never>[] = [
  help,
  {
    name: 'status',
    args: '',
    summary: 'Bridge health: WebSocket, event lag, queues, connected agents, watched channels',
    who: 'everyone',
    runs: 'inline',
    parse: noArgs('status'),
    run: (_inv, env) => runStatus(env),
  } satisfies CommandSpec<null>,
  {
    name: 'watch',
    args: '[~channel]',
    summary: 'Stream a channel to the agents (default: this channel)',
    argHelp: 'The channel to watch; default: this one',
    who: 'watchers',
    runs: 'followup',
    parse: parseChannelArg('watch'),
    run: (inv, env) => runWatch(inv, env, 'add'),
  } satisfies CommandSpec<ChannelArg>,
  {
    name: 'unwatch',
    args: '[~channel]',
    summary: 'Stop streaming a channel to the agents (default: this channel)',
    argHelp: 'The channel to stop watching; default: this one',
    who: 'watchers',
    runs: 'followup',
    parse: parseChannelArg('unwatch'),
    run: (inv, env) => runWatch(inv, env, 'remove'),
  } satisfies CommandSpec<ChannelArg>,
  {
    name: 'watching',
    args: '',
    summary: 'List the channels streamed to the agents',
    who: 'everyone',
    runs: 'inline',
    parse: noArgs('watching'),
    run: (_inv, env) => runWatching(env),
  } satisfies CommandSpec<null>,
  {
    name: 'ask',
    args: '[--private|--channel] <text>',
    summary:
      'Hand a task to the agents; the answer comes as a reply in a thread (--channel: in the channel, --private: only to you)',
    argHelp: 'What the agents should do',
    who: 'everyone',
    runs: 'inline',
    parse: parseAskArgs,
    run: (inv, env) => runAsk(inv, env),
  } satisfies CommandSpec<AskArgs>,
  {
    name: 'sessions',
    args: '',
    summary: 'Connected MCP sessions: API key names, clients, subscriptions',
    who: 'admins',
    runs: 'followup',
    parse: noArgs('sessions'),
    run: (inv, env) => runSessions(inv, env),
  } satisfies CommandSpec<null>,
] as unknown as readonly CommandSpec<never>[];

export function findCommand(name: string): CommandSpec<unknown> | undefined {
  return (COMMANDS as readonly CommandSpec<unknown>[]).find((c) => c.name === name);
}

/** `ask  do this` → {name: 'ask', rest: 'do this'}; empty text → help. */
export function splitText(text: string): { name: string; rest: string } {
  const trimmed = text.trim();
  if (!trimmed) return { name: 'help', rest: '' };
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed) as RegExpExecArray;
  return { name: m[1].toLowerCase(), rest: (m[2] ?? '').trim() };
}

function audienceText(who: Audience, watchRoles: readonly WatchRole[]): string {
  if (who === 'everyone') return 'everyone';
  if (who === 'admins') return 'system admins';
  return describeRoles(watchRoles);
}

const syntax = (trigger: string, spec: CommandSpec<unknown>) =>
  `${trigger} ${spec.name}${spec.args ? ` ${spec.args}` : ''}`;

/** Pipes split table cells even inside code spans (GFM), so they are escaped. */
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** `/mcp help`: a Markdown table of every command. */
export function helpText(trigger: string, watchRoles: readonly WatchRole[]): string {
  const rows = (COMMANDS as readonly CommandSpec<unknown>[]).map(
    (c) => `| \`${cell(syntax(trigger, c))}\` | ${cell(c.summary)} | ${audienceText(c.who, watchRoles)} |`,
  );
  return [
    `#### ${trigger} — the AI agents connected to this Mattermost`,
    '| Command | What it does | Who |',
    '|:--|:--|:--|',
    ...rows,
  ].join('\n');
}

export function usageOf(trigger: string, spec: CommandSpec<unknown>, watchRoles: readonly WatchRole[]): string {
  return `Usage: \`${syntax(trigger, spec)}\` — ${spec.summary} (${audienceText(spec.who, watchRoles)}).`;
}

export function unknownCommand(trigger: string, name: string, watchRoles: readonly WatchRole[]): CommandResponse {
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  return ephemeral(`Unknown command \`${shown.replace(/`/g, "'")}\`.\n\n${helpText(trigger, watchRoles)}`);
}

// --- auto-complete (manifest.json) -------------------------------------------

/** Mattermost's model.AutocompleteData, generated from the table. */
export interface AutocompleteData {
  trigger: string;
  hint: string;
  help_text: string;
  role_id: string;
  arguments: { name: string; hint: string; help_text: string; type: 'TextInput'; required: boolean }[];
  sub_commands: AutocompleteData[];
}

export function autocompleteHint(): string {
  return `[${COMMANDS.map((c) => c.name).join('|')}]`;
}

export function autocompleteData(trigger: string, helpText: string): AutocompleteData {
  return {
    trigger,
    hint: autocompleteHint(),
    help_text: helpText,
    role_id: '',
    arguments: [],
    sub_commands: (COMMANDS as readonly CommandSpec<unknown>[]).map((c) => ({
      trigger: c.name,
      hint: c.args,
      help_text: c.summary,
      role_id: c.who === 'admins' ? 'system_admin' : '',
      arguments: c.args
        ? [
            {
              name: '',
              hint: c.args,
              help_text: c.argHelp ?? c.summary,
              type: 'TextInput' as const,
              required: c.args.includes('<'),
            },
          ]
        : [],
      sub_commands: [],
    })),
  };
}
