/**
 * The hand-off between the HTTP reply and a follow-up job (bolt-js's
 * ack-then-respond, made safe across processes). The job stores its answer
 * under a reply key; the HTTP handler waits for it for a moment and returns
 * it inline. If the wait runs out first, the handler marks the key
 * `deferred` and answers "working on it"; the job then finds the mark and
 * sends its answer through the response URL instead. Both sides use SET NX on
 * the same key, so exactly one of them delivers the answer.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys';
import type { CommandResponse } from './response';

const DEFERRED = 'deferred';
const TTL_MS = 10 * 60_000;
const POLL_MS = 25;

/** The job's side: 'inline' when the HTTP reply will carry the answer, 'deferred' when the job must send it. */
export async function publishReply(
  redis: Redis,
  keys: RedisKeys,
  replyId: string,
  response: CommandResponse,
): Promise<'inline' | 'deferred'> {
  const set = await redis.set(keys.slashReply(replyId), JSON.stringify(response), 'PX', TTL_MS, 'NX');
  return set === 'OK' ? 'inline' : 'deferred';
}

/**
 * The HTTP side: the job's answer if it arrives within `waitMs`, else
 * undefined (and the job will answer through the response URL).
 */
export async function awaitReply(
  redis: Redis,
  keys: RedisKeys,
  replyId: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<CommandResponse | undefined> {
  const key = keys.slashReply(replyId);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && !signal?.aborted) {
    const raw = await redis.get(key);
    if (raw && raw !== DEFERRED) return JSON.parse(raw) as CommandResponse;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
  if ((await redis.set(key, DEFERRED, 'PX', TTL_MS, 'NX')) === 'OK') return undefined;
  const raw = await redis.get(key);
  return raw && raw !== DEFERRED ? (JSON.parse(raw) as CommandResponse) : undefined;
}
