/**
 * Delayed answers through a command's `response_url` (protocol notes §4.4):
 * Mattermost accepts each URL 5 times within 30 minutes of the invocation.
 * The uses are counted in Redis from the moment the command arrives, so every
 * process (the HTTP reply, the follow-up worker, `respond_to_command`) spends
 * from the same budget and none tries a URL Mattermost would refuse.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys';
import type { CommandResponse } from './response';

export const RESPONSE_URL_USES = 5;
/** Mattermost's COMMAND_WEBHOOK_LIFETIME is 30 minutes; keep a minute of margin for clock skew. */
export const RESPONSE_URL_LIFETIME_MS = 29 * 60_000;

const urlKey = (keys: RedisKeys, url: string) =>
  keys.slashResponseUrl(createHash('sha256').update(url).digest('hex').slice(0, 32));

/** Starts the budget of a fresh response_url (called when the command arrives; a no-op if already known). */
export async function registerResponseUrl(redis: Redis, keys: RedisKeys, url: string, now = Date.now()): Promise<void> {
  if (!url) return;
  await redis.set(
    urlKey(keys, url),
    JSON.stringify({ used: 0, expiresAt: now + RESPONSE_URL_LIFETIME_MS }),
    'PX',
    RESPONSE_URL_LIFETIME_MS,
    'NX',
  );
}

// Takes one use atomically: -1 when the URL is unknown or expired, -2 when its uses are spent.
const TAKE_USE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local rec = cjson.decode(raw)
if rec.used >= tonumber(ARGV[1]) then return -2 end
rec.used = rec.used + 1
redis.call('SET', KEYS[1], cjson.encode(rec), 'KEEPTTL')
return tonumber(ARGV[1]) - rec.used
`;

export type ResponseUrlState = { usesLeft: number; expiresAt: number } | undefined;

/** How many uses a response_url has left, and until when (undefined: unknown or expired). */
export async function responseUrlState(redis: Redis, keys: RedisKeys, url: string): Promise<ResponseUrlState> {
  if (!url) return undefined;
  const raw = await redis.get(urlKey(keys, url));
  if (!raw) return undefined;
  const rec = JSON.parse(raw) as { used: number; expiresAt: number };
  return { usesLeft: Math.max(0, RESPONSE_URL_USES - rec.used), expiresAt: rec.expiresAt };
}

export class ResponseUrlError extends Error {
  constructor(
    readonly reason: 'expired' | 'used_up' | 'refused' | 'unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'ResponseUrlError';
  }
}

export type PostResponseOptions = {
  redis: Redis;
  keys: RedisKeys;
  /** Per attempt. */
  timeoutMs?: number;
  /** Tries on network failures and 5xx (each try spends a use only when Mattermost got it). */
  attempts?: number;
  signal?: AbortSignal;
};

/**
 * POSTs a CommandResponse to a response_url, spending one of its uses.
 * Throws ResponseUrlError when the URL is expired, used up, or refused.
 */
export async function postToResponseUrl(
  url: string,
  response: CommandResponse,
  opts: PostResponseOptions,
): Promise<void> {
  const attempts = opts.attempts ?? 3;
  const left = Number(await opts.redis.eval(TAKE_USE, 1, urlKey(opts.keys, url), RESPONSE_URL_USES));
  if (left === -1) {
    throw new ResponseUrlError(
      'expired',
      'the response URL has expired (Mattermost accepts it for 30 minutes after the command)',
    );
  }
  if (left === -2) {
    throw new ResponseUrlError(
      'used_up',
      `the response URL was already used ${RESPONSE_URL_USES} times (Mattermost's limit)`,
    );
  }
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(response),
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      });
      const body = (await res.text()).slice(0, 300);
      if (res.ok) return;
      if (res.status < 500) {
        throw new ResponseUrlError(
          'refused',
          `Mattermost refused the response URL (HTTP ${res.status}: ${body.trim()})`,
        );
      }
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof ResponseUrlError) throw err;
      if (opts.signal?.aborted) throw new ResponseUrlError('unreachable', 'cancelled');
      lastError = (err as Error)?.message ?? String(err);
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
  }
  throw new ResponseUrlError('unreachable', `could not reach Mattermost's response URL (${lastError})`);
}
