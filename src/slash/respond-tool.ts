/**
 * `respond_to_command` (toolset `commands`, scope `write`): an agent's answer
 * to an `/mcp ask` task. By default it is a reply in the thread under the
 * question the bot posted; tasks asked with `--channel` answer in the channel
 * and `--private` ones only to the asker, both through the command's
 * response URL. The first answer wins (an atomic claim on the task); a second
 * one is refused with category `conflict`. The answer is recorded as a
 * `command.answered` update in `mattermost://commands`.
 */
import type { Post } from '@mattermost/types/posts';
import { z } from 'zod';
import { commandAnswered } from '../pipeline/normalize/commands';
import { permalink } from '../mattermost/refs';
import { ToolError } from '../tools/define';
import { guardChannel, idParam, messageParam, mm, mmTool, requireWrite, type Ctx } from '../tools/toolsets/common';
import { postQuestion, waitForQuestion } from './question';
import { ephemeral, inChannel, RESPONSE_TEXT_MAX } from './response';
import { postToResponseUrl, ResponseUrlError } from './response-url';
import { CommandTasks, type CommandTask } from './tasks';

/** How long an answer waits for the follow-up worker that is posting the question. */
const QUESTION_WAIT_MS = 5000;

const DELIVERY = ['thread', 'channel', 'private'] as const;
type Delivery = (typeof DELIVERY)[number];

function tasksOf(ctx: Ctx): CommandTasks {
  const { redis, keys, config } = ctx.services;
  return new CommandTasks(redis, keys, config.BRIDGE_RETENTION_AGE);
}

const howToFind =
  'request ids come from command.invoked updates (get_events or wait_for_events with streams ["mattermost://commands"])';

/** The asker is mentioned so Mattermost notifies them, unless the answer already does. */
function addressed(task: CommandTask, message: string): string {
  if (!task.userName || message.includes(`@${task.userName}`)) return message;
  const text = `@${task.userName} ${message}`;
  return text.length <= RESPONSE_TEXT_MAX ? text : message;
}

function withQuestion(task: CommandTask, message: string): string {
  const q = task.text.length > 300 ? `${task.text.slice(0, 300)}…` : task.text;
  const text = `> **@${task.userName}** asked: ${q.replace(/\n/g, ' ')}\n\n${message}`;
  return text.length <= RESPONSE_TEXT_MAX ? text : message;
}

type Delivered = { via: Delivery; postId: string; rootId: string };

async function postInChannel(ctx: Ctx, task: CommandTask, message: string, rootId = ''): Promise<Delivered> {
  const post = await mm(
    () => ctx.services.mattermost.createPost({ channel_id: task.channelId, message, root_id: rootId } as Post),
    {
      forbidden: `the bot may not post in ~${task.channelName}; someone must add it to the channel (/invite)`,
    },
  );
  return { via: rootId ? 'thread' : 'channel', postId: post.id, rootId };
}

async function viaResponseUrl(ctx: Ctx, task: CommandTask, text: string, type: 'in_channel' | 'ephemeral') {
  await postToResponseUrl(task.responseUrl, type === 'in_channel' ? inChannel(text) : ephemeral(text), {
    redis: ctx.services.redis,
    keys: ctx.services.keys,
    signal: ctx.signal,
  });
}

async function deliver(ctx: Ctx, tasks: CommandTasks, task: CommandTask, message: string): Promise<Delivered> {
  if (task.reply === 'private') {
    try {
      await viaResponseUrl(ctx, task, message, 'ephemeral');
      return { via: 'private', postId: '', rootId: '' };
    } catch (err) {
      if (!(err instanceof ResponseUrlError)) throw err;
      throw new ToolError(
        'unavailable',
        `request ${task.requestId} asked for a private answer, which only Mattermost's response URL can carry, and ${err.message}; the task stays open but can no longer be answered privately`,
      );
    }
  }
  if (task.reply === 'channel') {
    try {
      await viaResponseUrl(ctx, task, withQuestion(task, message), 'in_channel');
      return { via: 'channel', postId: '', rootId: '' };
    } catch (err) {
      if (!(err instanceof ResponseUrlError)) throw err;
      // The URL is spent or expired: the bot posts in the channel instead.
      return postInChannel(ctx, task, addressed(task, withQuestion(task, message)));
    }
  }
  // thread: under the question post, which the follow-up job (or we) post.
  let current: CommandTask | undefined = task;
  if (!current.questionPostId && !current.questionPostError) {
    const outcome = await postQuestion(ctx.services, tasks, task.requestId, `tool:${ctx.session.id}`);
    if (!outcome.posted && outcome.reason === 'claimed_elsewhere') {
      current = await waitForQuestion(tasks, task.requestId, QUESTION_WAIT_MS);
    } else {
      current = await tasks.get(task.requestId);
    }
  }
  if (current?.questionPostId) return postInChannel(ctx, task, addressed(task, message), current.questionPostId);
  // No question post (the bot cannot post there?): answer through the response URL while it lasts.
  if (task.responseUrl) {
    try {
      await viaResponseUrl(ctx, task, withQuestion(task, message), 'in_channel');
      return { via: 'channel', postId: '', rootId: '' };
    } catch (err) {
      if (!(err instanceof ResponseUrlError)) throw err;
    }
  }
  return postInChannel(ctx, task, addressed(task, withQuestion(task, message)));
}

export const respondToCommand = mmTool({
  name: 'respond_to_command',
  toolset: 'commands',
  scope: 'write',
  description:
    'Answers a task a person gave the agents with `/mcp ask` (a command.invoked update in mattermost://commands; its data.requestId is the request_id). The answer is posted as a reply in the thread under the question (or, when the person asked with --channel or --private, in the channel or only to them). Each task takes exactly one answer: a second call for the same request_id is refused with a conflict error. Write the complete answer in Markdown, at most 16,383 characters.',
  input: {
    request_id: idParam('request').describe(`The task's data.requestId (26 characters); ${howToFind}.`),
    message: messageParam,
  },
  output: {
    request_id: z.string(),
    status: z.literal('answered'),
    delivered_via: z
      .enum(DELIVERY)
      .describe('thread: reply under the question; channel: a channel message; private: only the asker sees it'),
    channel: z.string().describe('~name of the channel the task came from'),
    post_id: z.string().describe('the answer post, "" when Mattermost posted it from the response URL'),
    root_id: z.string().describe('the thread the answer is in, "" when it is not in a thread'),
    permalink: z.string().describe('link to the answer (or its thread), "" when unknown'),
  },
  annotations: {
    title: 'Answer an /mcp ask task',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'respond_to_command');
    const tasks = tasksOf(ctx);
    const task = await tasks.get(args.request_id);
    if (!task) {
      throw new ToolError(
        'not_found',
        `no /mcp ask task ${args.request_id} (tasks are kept for BRIDGE_RETENTION_AGE); ${howToFind}`,
      );
    }
    const refuse = (t: CommandTask) =>
      new ToolError(
        'conflict',
        `request ${t.requestId} was already answered${t.answeredBy ? ` by ${t.answeredBy}` : ''}${t.answeredAt ? ` at ${t.answeredAt}` : ''}; a task takes one answer.` +
          (t.questionPostId
            ? ` To add something, reply in its thread with create_post root_id=${t.questionPostId}.`
            : ''),
      );
    if (task.status === 'answered') throw refuse(task);
    const channel = await mm(() => ctx.services.directory.channel(task.channelId));
    if (channel) await guardChannel(ctx, channel);

    if (!(await tasks.claimAnswer(task.requestId, `${ctx.session.keyName}:${ctx.session.id}`))) {
      const now = await tasks.get(task.requestId);
      if (now?.status === 'answered') throw refuse(now);
      throw new ToolError('conflict', `request ${task.requestId} is being answered by another agent right now`);
    }
    let delivered: Delivered;
    try {
      delivered = await deliver(ctx, tasks, task, args.message);
    } catch (err) {
      await tasks.releaseAnswer(task.requestId);
      throw err;
    }
    const answeredAt = new Date();
    await tasks.update(task.requestId, {
      status: 'answered',
      answeredAt: answeredAt.toISOString(),
      answeredBy: ctx.session.keyName,
      answerPostId: delivered.postId || undefined,
      answerVia: delivered.via,
    });
    const bot = await ctx.services.mattermost.getMe().catch(() => undefined);
    await ctx.services.eventLog.append([
      commandAnswered({
        requestId: task.requestId,
        channelId: task.channelId,
        teamId: task.teamId || undefined,
        userId: bot?.id,
        answeredBy: ctx.session.keyName,
        message: args.message,
        postId: delivered.postId || undefined,
        at: answeredAt,
      }),
    ]);
    const base = ctx.services.config.MATTERMOST_URL ?? ctx.services.mattermost.getUrl();
    const linkTo = delivered.postId || delivered.rootId;
    const link = linkTo && task.teamName ? permalink(base, task.teamName, linkTo) : '';
    const where =
      delivered.via === 'thread'
        ? `as a reply in the thread of ~${task.channelName}`
        : delivered.via === 'channel'
          ? `in ~${task.channelName}`
          : `to @${task.userName} only`;
    return {
      structured: {
        request_id: task.requestId,
        status: 'answered' as const,
        delivered_via: delivered.via,
        channel: `~${task.channelName}`,
        post_id: delivered.postId,
        root_id: delivered.rootId,
        permalink: link,
      },
      text: `Answered request ${task.requestId} ${where}${delivered.postId ? ` (post ${delivered.postId})` : ''}${link ? ` ${link}` : ''}.`,
    };
  },
});

/** The slash-command area's tools, for the inventory. */
export const respondToCommandTools = [respondToCommand];
