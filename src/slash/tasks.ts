/**
 * `/mcp ask` tasks: one Redis hash per request (the question, where it came
 * from, how the answer goes back, its state), kept as long as the event log.
 * The first answer wins through an atomic claim (HSETNX), so a second
 * `respond_to_command` for the same task is refused, whichever instance
 * handles it.
 */
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ID_ALPHABET } from '../mattermost/refs';
import type { RedisKeys } from '../redis/keys';

/** How the answer reaches the asker: a reply under the question post, a channel message, or only to them. */
export type ReplyMode = 'thread' | 'channel' | 'private';

export interface CommandTask {
  requestId: string;
  status: 'open' | 'answered';
  text: string;
  reply: ReplyMode;
  command: string;
  teamId: string;
  teamName: string;
  channelId: string;
  channelName: string;
  userId: string;
  userName: string;
  /** ISO-8601 */
  createdAt: string;
  /** Never shown to agents: it lets anyone post in the channel for 30 minutes. */
  responseUrl: string;
  /** The bot's post quoting the question; the answer is threaded under it. */
  questionPostId?: string;
  /** Why the question could not be posted (then answers go through the response URL). */
  questionPostError?: string;
  answeredAt?: string;
  answeredBy?: string;
  answerPostId?: string;
  answerVia?: string;
}

/** A Mattermost-style id (26 chars of its alphabet), so request ids look like every other id. */
export function newRequestId(): string {
  let id = '';
  for (let i = 0; i < 26; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

const CLAIM_ANSWER = 'answerClaim';
const CLAIM_QUESTION = 'questionClaim';

export class CommandTasks {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** BRIDGE_RETENTION_AGE: a task lives as long as the updates that mention it. */
    private readonly ttlMs: number,
  ) {}

  async create(task: Omit<CommandTask, 'status'>): Promise<CommandTask> {
    const full: CommandTask = { ...task, status: 'open' };
    const key = this.keys.commandTask(task.requestId);
    await this.redis.multi().hset(key, flatten(full)).pexpire(key, this.ttlMs).exec();
    return full;
  }

  async get(requestId: string): Promise<CommandTask | undefined> {
    const raw = await this.redis.hgetall(this.keys.commandTask(requestId));
    if (!raw.requestId) return undefined;
    return {
      requestId: raw.requestId,
      status: raw.status === 'answered' ? 'answered' : 'open',
      text: raw.text ?? '',
      reply: (['thread', 'channel', 'private'].includes(raw.reply) ? raw.reply : 'thread') as ReplyMode,
      command: raw.command ?? '',
      teamId: raw.teamId ?? '',
      teamName: raw.teamName ?? '',
      channelId: raw.channelId ?? '',
      channelName: raw.channelName ?? '',
      userId: raw.userId ?? '',
      userName: raw.userName ?? '',
      createdAt: raw.createdAt ?? '',
      responseUrl: raw.responseUrl ?? '',
      questionPostId: raw.questionPostId || undefined,
      questionPostError: raw.questionPostError || undefined,
      answeredAt: raw.answeredAt || undefined,
      answeredBy: raw.answeredBy || undefined,
      answerPostId: raw.answerPostId || undefined,
      answerVia: raw.answerVia || undefined,
    };
  }

  async update(requestId: string, fields: Partial<CommandTask>): Promise<void> {
    const key = this.keys.commandTask(requestId);
    // Only while the task exists: an expired task is not resurrected without its TTL.
    const flat = flatten(fields);
    if (Object.keys(flat).length === 0) return;
    await this.redis.eval(
      "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) return 1 end return 0",
      1,
      key,
      ...Object.entries(flat).flat(),
    );
  }

  /** Claims the right to answer; false when someone already did (or is doing it). */
  async claimAnswer(requestId: string, who: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.commandTask(requestId), CLAIM_ANSWER, who)) === 1;
  }

  /** Gives the claim back after a failed delivery, so the answer can be retried. */
  async releaseAnswer(requestId: string): Promise<void> {
    await this.redis.hdel(this.keys.commandTask(requestId), CLAIM_ANSWER);
  }

  /** Who posts the question (the follow-up job or the first answer): exactly one of them. */
  async claimQuestion(requestId: string, who: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.commandTask(requestId), CLAIM_QUESTION, who)) === 1;
  }
}

function flatten(fields: Partial<CommandTask>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = String(v);
  return out;
}
