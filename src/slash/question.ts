/**
 * The question post of an `/mcp ask` task: the bot quotes the question in the
 * channel, and the agents' answer is threaded under it. Exactly one party
 * posts it (the follow-up job, or the first answer if it comes sooner),
 * decided by an atomic claim on the task.
 */
import type { BridgeServices } from '../app/services';
import type { CommandTask, CommandTasks } from './tasks';

const QUOTE_MAX = 15_000;

export function questionMessage(task: CommandTask): string {
  const text = task.text.length > QUOTE_MAX ? `${task.text.slice(0, QUOTE_MAX)}…` : task.text;
  const quoted = text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  return `**@${task.userName || 'someone'}** asked the agents (request \`${task.requestId}\`):\n${quoted}`;
}

export type QuestionOutcome =
  { posted: true; postId: string } | { posted: false; reason: 'claimed_elsewhere' | 'gone' | 'failed'; error?: string };

/** Posts the question unless someone else did or is doing it. */
export async function postQuestion(
  services: Pick<BridgeServices, 'mattermost' | 'log'>,
  tasks: CommandTasks,
  requestId: string,
  who: string,
): Promise<QuestionOutcome> {
  const task = await tasks.get(requestId);
  if (!task) return { posted: false, reason: 'gone' };
  if (task.questionPostId) return { posted: true, postId: task.questionPostId };
  if (!(await tasks.claimQuestion(requestId, who))) return { posted: false, reason: 'claimed_elsewhere' };
  try {
    const post = await services.mattermost.createPost({
      channel_id: task.channelId,
      message: questionMessage(task),
      props: { mmb_request_id: requestId },
    } as Parameters<BridgeServices['mattermost']['createPost']>[0]);
    await tasks.update(requestId, { questionPostId: post.id });
    return { posted: true, postId: post.id };
  } catch (err) {
    const error = (err as Error)?.message ?? String(err);
    await tasks.update(requestId, { questionPostError: error });
    services.log.warn({ requestId, err: error }, 'could not post the /mcp ask question');
    return { posted: false, reason: 'failed', error };
  }
}

/** Waits (briefly) for whoever claimed the question to finish posting it. */
export async function waitForQuestion(
  tasks: CommandTasks,
  requestId: string,
  timeoutMs: number,
): Promise<CommandTask | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await tasks.get(requestId);
    if (!task || task.questionPostId || task.questionPostError || Date.now() >= deadline) return task;
    await new Promise((r) => setTimeout(r, 50));
  }
}
