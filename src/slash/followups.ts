/**
 * The `slash` BullMQ queue: slow work of slash commands (anything that calls
 * Mattermost's REST API) runs here, on any process with the worker role, and
 * answers through the hand-off of reply.ts — inline when it is quick, else
 * through the command's response URL (5 uses within 30 minutes).
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { isMattermostError } from '../mattermost/client';
import type { Logger } from '../logging/logger';
import type { RedisKeys } from '../redis/keys';
import { findCommand } from './commands';
import type { BridgeServices } from '../app/services';
import { slashEnv, type FollowupEnqueuer, type FollowupJob, type SlashEnv } from './context';
import { postQuestion } from './question';
import { publishReply } from './reply';
import { ephemeral, type CommandResponse } from './response';
import { postToResponseUrl, ResponseUrlError } from './response-url';

export const SLASH_QUEUE = 'slash';

export class SlashFollowups implements FollowupEnqueuer {
  readonly queue: Queue<FollowupJob>;

  constructor(redis: Redis, keys: RedisKeys, log?: Logger) {
    this.queue = new Queue<FollowupJob>(SLASH_QUEUE, {
      connection: redis,
      prefix: keys.bullPrefix,
      defaultJobOptions: { attempts: 1, removeOnComplete: 1000, removeOnFail: 1000 },
    });
    this.queue.on('error', (err) => log?.warn({ err: err.message }, 'slash queue: Redis error'));
  }

  async enqueue(job: FollowupJob, jobId: string): Promise<void> {
    await this.queue.add(job.kind, job, { jobId });
  }

  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** What a user sees when a follow-up fails: what went wrong, in words, never a stack. */
export function failureResponse(err: unknown): CommandResponse {
  if (isMattermostError(err)) {
    if (err.kind === 'circuit_open' || err.kind === 'timeout' || err.kind === 'network') {
      return ephemeral('The bridge cannot reach Mattermost right now; try again in a minute.');
    }
    if (err.status === 401) {
      return ephemeral(
        "Mattermost refused the bridge's bot token; an admin should run `mattermost-mcp-bridge doctor`.",
      );
    }
    if (err.status === 403) return ephemeral('The bot lacks the Mattermost permission this needs.');
    if (err.status === 429) return ephemeral('Mattermost is rate-limiting the bridge; try again shortly.');
  }
  return ephemeral('That failed on the bridge side; try again, and tell an admin if it keeps failing.');
}

export type SlashWorkerOptions = {
  /** The queue, for handlers that enqueue more work or report its depth. */
  followups: FollowupEnqueuer;
  concurrency?: number;
};

/** The worker of the `slash` queue (worker role). Close it on shutdown. */
export function createSlashWorker(services: BridgeServices, options: SlashWorkerOptions): Worker<FollowupJob> {
  const env: SlashEnv = slashEnv(services, options.followups);
  const log = services.log.child({ component: 'slash-worker' });

  async function runCommand(data: Extract<FollowupJob, { kind: 'command' }>): Promise<void> {
    const spec = findCommand(data.command);
    let response: CommandResponse;
    if (!spec) {
      response = ephemeral(`Unknown command \`${data.command}\`.`);
    } else {
      try {
        response = await spec.run({ form: data.form, args: data.args as never, trigger: data.form.command }, env);
      } catch (err) {
        log.warn({ err, command: data.command }, 'slash follow-up failed');
        response = failureResponse(err);
      }
    }
    if ((await publishReply(services.redis, services.keys, data.replyId, response)) === 'inline') return;
    if (!data.form.responseUrl) {
      log.warn({ command: data.command }, 'slash follow-up finished late and has no response URL to answer through');
      return;
    }
    try {
      await postToResponseUrl(data.form.responseUrl, response, { redis: services.redis, keys: services.keys });
    } catch (err) {
      log.warn(
        { command: data.command, reason: (err as ResponseUrlError).reason ?? 'error', err: (err as Error).message },
        'could not deliver a slash answer',
      );
    }
  }

  async function askPost(data: Extract<FollowupJob, { kind: 'ask.post' }>): Promise<void> {
    const outcome = await postQuestion(services, env.tasks, data.requestId, 'job');
    if (outcome.posted || outcome.reason !== 'failed') return;
    const task = await env.tasks.get(data.requestId);
    if (!task?.responseUrl || task.status === 'answered') return;
    const bot = await services.mattermost.getMe().catch(() => undefined);
    const who = bot ? `@${bot.username}` : 'the bot';
    await postToResponseUrl(
      task.responseUrl,
      ephemeral(
        `I could not post your question in ~${task.channelName} (is ${who} a member? \`/invite ${who}\`), so the agents' answer will come back here instead, visible to the channel.`,
      ),
      { redis: services.redis, keys: services.keys },
    ).catch((err) => log.warn({ err: (err as Error).message }, 'could not tell the asker'));
  }

  const worker = new Worker<FollowupJob>(
    SLASH_QUEUE,
    async (job: Job<FollowupJob>) => {
      if (job.data.kind === 'command') return runCommand(job.data);
      if (job.data.kind === 'ask.post') return askPost(job.data);
    },
    { connection: services.queueRedis, prefix: services.keys.bullPrefix, concurrency: options.concurrency ?? 4 },
  );
  worker.on('failed', (job, err) => log.warn({ job: job?.id, err: err.message }, 'slash job failed'));
  worker.on('error', (err) => log.warn({ err: err.message }, 'slash worker error'));
  return worker;
}
