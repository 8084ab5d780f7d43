/**
 * `/mcp ask <text>`: a task for the agents. It lands in the
 * `mattermost://commands` inbox as a `command.invoked` update (data.requestId
 * names it); the follow-up worker posts the question in the channel so the
 * answer (`respond_to_command`) can be threaded under it.
 */
import { commandInvoked } from '../../pipeline/normalize/commands';
import { MAX_TEXT_CHARS } from '../form';
import type { Invocation, InvocationForm, SlashEnv } from '../context';
import { countListeners } from '../listeners';
import { ephemeral, type CommandResponse } from '../response';
import { newRequestId, type ReplyMode } from '../tasks';
import { UsageError } from '../usage';

export interface AskArgs {
  text: string;
  reply: ReplyMode;
}

const FLAGS: Record<string, ReplyMode> = { '--private': 'private', '--channel': 'channel', '--thread': 'thread' };

export function parseAskArgs(rest: string, _form: InvocationForm): AskArgs | UsageError {
  let text = rest.trim();
  let reply: ReplyMode = 'thread';
  const flag = /^(--\S+)\s*/.exec(text);
  if (flag) {
    const mode = FLAGS[flag[1].toLowerCase()];
    if (!mode)
      return new UsageError(`\`ask\` knows the options --private and --channel, not \`${flag[1].slice(0, 30)}\``);
    reply = mode;
    text = text.slice(flag[0].length).trim();
  }
  if (!text) return new UsageError('`ask` needs the task, e.g. `ask summarize the last hour of this channel`');
  if (text.length > MAX_TEXT_CHARS)
    return new UsageError(`the task is too long (at most ${MAX_TEXT_CHARS} characters)`);
  return { text, reply };
}

const WHERE: Record<ReplyMode, string> = {
  thread: 'as a reply in a thread under your question',
  channel: 'in this channel',
  private: 'here, visible only to you',
};

export async function runAsk(inv: Invocation<AskArgs>, env: SlashEnv): Promise<CommandResponse> {
  const { form, args } = inv;
  const { services } = env;
  const requestId = newRequestId();
  const createdAt = new Date();
  await env.tasks.create({
    requestId,
    text: args.text,
    reply: args.reply,
    command: `${inv.trigger} ask`,
    teamId: form.teamId,
    teamName: form.teamDomain,
    channelId: form.channelId,
    channelName: form.channelName,
    userId: form.userId,
    userName: form.userName,
    createdAt: createdAt.toISOString(),
    responseUrl: form.responseUrl,
  });
  await env.eventLog.append([
    commandInvoked({
      requestId,
      channelId: form.channelId,
      channelName: form.channelName,
      teamId: form.teamId,
      userId: form.userId,
      username: form.userName,
      command: `${inv.trigger} ask`,
      text: args.text,
      at: createdAt,
    }),
  ]);
  if (args.reply === 'thread') await env.followups.enqueue({ kind: 'ask.post', requestId }, `ask-post-${requestId}`);
  const listening = await countListeners(services);
  services.log.info({ requestId, channel: form.channelId, listening }, '/ask task queued');
  if (listening === 0) {
    return ephemeral(
      `No agent is connected right now, so nobody will pick this up until one connects. ` +
        `The task is kept in the inbox as request \`${requestId}\`; the answer will come ${WHERE[args.reply]}.`,
    );
  }
  return ephemeral(
    `Queued for agents, ${listening} listening (request \`${requestId}\`). The answer will come ${WHERE[args.reply]}.`,
  );
}
