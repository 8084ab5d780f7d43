/**
 * Client4 on a resilient fetch. Every REST call of the bridge goes through:
 *
 *   request budget (BRIDGE_MM_RATE req/s per bot; waits, then refuses)
 *   → shared pause after a 429 (Retry-After / X-Ratelimit-Reset)
 *   → retry loop (jittered exponential backoff; 429 always, 5xx/timeouts only
 *     for requests that are safe to repeat)
 *   → circuit breaker (cockatiel; opens after consecutive outages, then fails fast)
 *   → per-attempt timeout (BRIDGE_MM_TIMEOUT) and the caller's abort signal.
 *
 * Client4 itself throws `ClientError`s built from the JSON body only, so a
 * 429 (text body) loses its status, and it parses JSON only for the exact
 * `application/json` content type. We therefore replace its
 * `doFetchWithResponse`: errors are `MattermostError`s (a `ClientError` whose
 * `status_code` is always the HTTP status, plus `kind` and `retryAfterMs`).
 *
 * TLS: Node's fetch (undici) trusts the CAs in NODE_EXTRA_CA_CERTS, which is
 * how self-hosted servers with a private CA are reached (see docs/tools.md).
 *
 * The caller's abort signal reaches fetch through `bindAbortSignal`, because
 * Client4's methods take no signal.
 */
import { createHash } from 'node:crypto';
import { Client4, ClientError } from '@mattermost/client';
import type { FileInfo } from '@mattermost/types/files';
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, BrokenCircuitError } from 'cockatiel';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterQueue, RateLimiterRedis } from 'rate-limiter-flexible';
import { KeyRateLimiter } from '../redis/key-rate-limiter';
import type { Logger } from '../logging/logger';

export type MattermostErrorKind =
  /** Mattermost answered with a non-2xx status (see `status_code`). */
  | 'http'
  /** No answer within BRIDGE_MM_TIMEOUT. */
  | 'timeout'
  /** Connection refused, reset, DNS, TLS... */
  | 'network'
  /** The circuit breaker is open: Mattermost failed repeatedly, calls fail fast for a while. */
  | 'circuit_open'
  /** The bridge's own request budget (BRIDGE_MM_RATE) is exhausted. */
  | 'budget'
  /** The caller cancelled. */
  | 'aborted';

export class MattermostError extends ClientError {
  constructor(
    baseUrl: string,
    readonly kind: MattermostErrorKind,
    data: { message: string; url: string; status_code?: number; server_error_id?: string; detailed_error?: string },
    /** How long the server asked us to wait (429), when known. */
    readonly retryAfterMs?: number,
    cause?: unknown,
  ) {
    super(baseUrl, { ...data, status_code: data.status_code ?? 0 }, cause);
    this.name = 'MattermostError';
  }

  get status(): number {
    return this.status_code ?? 0;
  }
}

export function isMattermostError(err: unknown): err is MattermostError {
  return err instanceof MattermostError;
}

export type ResilienceOptions = {
  /** Per-attempt timeout (BRIDGE_MM_TIMEOUT). */
  timeoutMs: number;
  /** Requests per second per bot (BRIDGE_MM_RATE). */
  ratePerSec: number;
  /** Longest a request waits for budget before it is refused. Default 10 s. */
  budgetWaitMs?: number;
  /** Requests that may wait for budget at once; more are refused. Default 20 × ratePerSec (at least 100). */
  budgetQueue?: number;
  /** Total tries of one request (1 = no retry). Default 4. */
  maxAttempts?: number;
  /** First backoff step; doubles each retry, with full jitter. Default 250 ms. */
  baseDelayMs?: number;
  /** Cap of one backoff step. Default 5 s. */
  maxDelayMs?: number;
  /** A 429 asking to wait longer than this is not retried but reported. Default 15 s. */
  maxRetryAfterMs?: number;
  /** Consecutive outage attempts (5xx, timeout, network) that open the circuit. Default 5. */
  breakerThreshold?: number;
  /** How long the circuit stays open before one trial call. Default 10 s. */
  breakerHalfOpenAfterMs?: number;
  /** With Redis the budget is shared by every process of the bridge (one budget per bot token). */
  redis?: Redis;
  /** Key prefix of the shared budget (from redisKeys(...).rateLimit). */
  budgetKeyPrefix?: string;
  log?: Logger;
};

export type MattermostClientOptions = ResilienceOptions & {
  url: string;
  token?: string;
};

const UNBOUND = Symbol('the client a bound client wraps');

/** The client itself behind a `bindAbortSignal` proxy (for caches shared by every caller). */
export function unbound<T extends object>(client: T): T {
  return ((client as Record<symbol, unknown>)[UNBOUND] as T | undefined) ?? client;
}

/** The signal of the Mattermost call being started: set only while a bound method runs synchronously. */
let startingSignal: AbortSignal | undefined;

/**
 * `client` whose every method call is cancelled when `signal` aborts. A Client4 method reaches
 * `ResilientFetch.fetch` synchronously (method → doFetch → doFetchWithResponse → fetch), which takes
 * the signal set around the call. Not AsyncLocalStorage: on Node 20 its first use turns on promise
 * hooks for the whole process, a cost on every promise of the event pipeline too.
 */
export function bindAbortSignal<T extends object>(client: T, signal: AbortSignal): T {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === UNBOUND) return target;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const outer = startingSignal;
        startingSignal = signal;
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          startingSignal = outer;
        }
      };
    },
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** POST routes that read or are idempotent on the server, so repeating them after a 5xx is harmless. */
const SAFE_POSTS = [
  /\/posts\/search$/,
  /\/users\/ids$/,
  /\/users\/usernames$/,
  /\/users\/search$/,
  /\/users\/status\/ids$/,
  /\/channels\/direct$/,
  /\/channels\/group$/,
  /\/reactions$/,
  /\/posts\/ids$/,
];

function isRepeatable(method: string, url: string): boolean {
  if (SAFE_METHODS.has(method)) return true;
  const path = url.split('?')[0];
  return SAFE_POSTS.some((re) => re.test(path));
}

/** How an attempt reads the answer: whole (before the attempt ends) or left to the caller as a stream. */
export type BodyRead = 'whole' | 'stream';

/** Statuses whose Response cannot have a body (the Fetch standard's "null body status"). */
const NULL_BODY = new Set([101, 204, 205, 304]);

async function wholeBody(response: Response): Promise<Response> {
  const bytes = await response.arrayBuffer();
  const { status, statusText, headers } = response;
  return new Response(NULL_BODY.has(status) ? null : bytes, { status, statusText, headers });
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code ?? (err as { code?: string } | undefined)?.code;
}

/** Retry-After (seconds or HTTP date), else X-Ratelimit-Reset (seconds until the bucket refills). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ra = headers.get('retry-after');
  if (ra) {
    const secs = Number(ra);
    if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
    const date = Date.parse(ra);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('x-ratelimit-reset');
  if (reset) {
    const secs = Number(reset);
    if (Number.isFinite(secs) && secs >= 0) {
      // Mattermost sends seconds-until-reset; tolerate servers that send an epoch.
      return secs > 1e9 ? Math.max(0, secs * 1000 - now) : Math.round(secs * 1000);
    }
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The budget's window (RateLimiterRedis duration: 1 s), and how long tokens taken without waiting go uncounted. */
const BUDGET_WINDOW_MS = 1000;
const BUDGET_FLUSH_MS = 50;

/** The resilient fetch shared by one client: budget, pause, retries, breaker, timeout. */
export class ResilientFetch {
  readonly breaker;
  private readonly budget: RateLimiterQueue;
  /** Tokens taken without waiting while the last answer leaves some (see takeBudget). */
  private readonly budgetEstimate: KeyRateLimiter;
  private readonly budgetKey: string;
  private pausedUntil = 0;
  /** Counters for stats and tests: requests sent, retries, 429s seen, outage failures, budget refusals. */
  readonly stats = { requests: 0, retries: 0, rateLimited: 0, outages: 0, budgetRefused: 0, budgetWaits: 0 };
  private readonly opts: Required<Omit<ResilienceOptions, 'redis' | 'budgetKeyPrefix' | 'log'>> & {
    log?: Logger;
  };

  constructor(
    private readonly baseUrl: string,
    options: ResilienceOptions,
    botKey: string,
  ) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.opts = {
      budgetWaitMs: 10_000,
      budgetQueue: Math.max(100, Math.floor(options.ratePerSec) * 20),
      maxAttempts: 4,
      baseDelayMs: 250,
      maxDelayMs: 5_000,
      maxRetryAfterMs: 15_000,
      breakerThreshold: 5,
      breakerHalfOpenAfterMs: 10_000,
      ...(defined as ResilienceOptions),
    };
    const points = Math.max(1, Math.floor(options.ratePerSec));
    const limiter = options.redis
      ? new RateLimiterRedis({
          storeClient: options.redis,
          keyPrefix: `${options.budgetKeyPrefix ?? 'mmb:ratelimit'}:mattermost`,
          points,
          duration: 1,
          insuranceLimiter: new RateLimiterMemory({ points, duration: 1 }),
        })
      : new RateLimiterMemory({ points, duration: 1 });
    this.budget = new RateLimiterQueue(limiter, { maxQueueSize: this.opts.budgetQueue });
    this.budgetEstimate = new KeyRateLimiter(
      limiter,
      (err) => this.opts.log?.warn({ err }, 'Mattermost request budget: tokens taken could not be counted'),
      BUDGET_FLUSH_MS,
    );
    this.budgetKey = botKey;
    // Only outages open the circuit; 4xx (including 429) mean Mattermost is up.
    this.breaker = circuitBreaker(
      handleWhen((err) => err instanceof MattermostError && isOutage(err)),
      {
        halfOpenAfter: this.opts.breakerHalfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.opts.breakerThreshold),
      },
    );
    this.breaker.onBreak(() =>
      this.opts.log?.warn({ mattermost: this.baseUrl }, 'Mattermost unreachable: circuit open'),
    );
    this.breaker.onReset(() =>
      this.opts.log?.info({ mattermost: this.baseUrl }, 'Mattermost reachable again: circuit closed'),
    );
  }

  get circuitState(): 'closed' | 'open' | 'half-open' {
    const s = this.breaker.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  /** fetch with the whole policy; resolves to a 2xx..4xx Response or throws a MattermostError. */
  async fetch(url: string, init: RequestInit = {}, read: BodyRead = 'whole'): Promise<Response> {
    const signal = ((init.signal as AbortSignal | null | undefined) ?? startingSignal) || undefined;
    const method = (init.method ?? 'GET').toUpperCase();
    await this.takeBudget(url, signal);
    const repeatable = isRepeatable(method, url);
    for (let attempt = 1; ; attempt++) {
      await this.waitForPause(signal);
      let response: Response | undefined;
      let failure: MattermostError | undefined;
      this.stats.requests++;
      try {
        response = await this.breaker.execute(() => this.attempt(url, { ...init, method }, signal, read));
      } catch (err) {
        failure = this.asMattermostError(err, url);
        // 5xx answers come back inside the error (thrown so that the breaker counts them).
        response = (err as { response?: Response }).response;
      }
      if (response && response.status !== 429 && response.status < 500) return response;
      const last = attempt >= this.opts.maxAttempts;

      if (response?.status === 429) {
        this.stats.rateLimited++;
        const delay = retryAfterMs(response.headers) ?? this.backoff(attempt);
        // Every request of this client waits, not just this one: the budget is the server's.
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
        if (last || delay > this.opts.maxRetryAfterMs) return response;
        this.opts.log?.debug({ url: redactUrl(url), attempt, delay }, 'Mattermost 429; retrying');
      } else if (response) {
        this.stats.outages++;
        if (last || !repeatable) return response;
        const wait = retryAfterMs(response.headers);
        await this.delay(wait !== undefined ? Math.min(wait, this.opts.maxDelayMs) : this.backoff(attempt), signal);
      } else {
        const err = failure as MattermostError;
        if (isOutage(err)) this.stats.outages++;
        const retryable =
          !last &&
          (err.kind === 'network' || err.kind === 'timeout') &&
          (repeatable || (err.kind === 'network' && NOT_SENT_CODES.has(errorCode(err.cause) ?? '')));
        if (!retryable) throw err;
        this.opts.log?.debug({ url: redactUrl(url), attempt, kind: err.kind }, 'Mattermost request failed; retrying');
        await this.delay(this.backoff(attempt), signal);
      }
      this.stats.retries++;
    }
  }

  private async attempt(
    url: string,
    init: RequestInit,
    callerSignal: AbortSignal | undefined,
    read: BodyRead,
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    let response: Response | undefined;
    try {
      response = await fetch(url, { ...init, signal });
      // The body inside the attempt: its timeout covers it, and an answer cut off half-way is a
      // network failure the retry loop repeats (for calls safe to repeat), not unreadable JSON.
      if (read === 'whole') response = await wholeBody(response);
    } catch (err) {
      if (callerSignal?.aborted) throw this.error('aborted', url, 'request cancelled by the caller', err);
      if (timeout.aborted) {
        throw this.error('timeout', url, `Mattermost did not answer within ${this.opts.timeoutMs} ms`, err);
      }
      const why = errorCode(err) ?? (err as Error).message;
      throw this.error(
        'network',
        url,
        response ? `Mattermost's answer was cut off (${why})` : `cannot reach Mattermost (${why})`,
        err,
      );
    }
    if (response.status >= 500) {
      // Throw so the breaker counts it; the retry loop gets the response back through the error.
      const err = this.error('http', url, `Mattermost answered ${response.status}`, undefined, response.status);
      (err as MattermostError & { response?: Response }).response = response;
      throw err;
    }
    return response;
  }

  private asMattermostError(err: unknown, url: string): MattermostError {
    if (err instanceof BrokenCircuitError) {
      return this.error(
        'circuit_open',
        url,
        `Mattermost is unavailable (it failed ${this.opts.breakerThreshold} times in a row); calls fail fast for up to ${Math.round(this.opts.breakerHalfOpenAfterMs / 1000)} s before the next try`,
        err,
      );
    }
    if (err instanceof MattermostError) return err;
    return this.error('network', url, (err as Error)?.message ?? String(err), err);
  }

  private error(kind: MattermostErrorKind, url: string, message: string, cause?: unknown, status?: number) {
    return new MattermostError(this.baseUrl, kind, { message, url, status_code: status }, undefined, cause);
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }

  private async delay(ms: number, signal?: AbortSignal | null): Promise<void> {
    try {
      await sleep(ms, signal ?? undefined);
    } catch (err) {
      throw this.error('aborted', '', 'request cancelled by the caller', err);
    }
  }

  private async waitForPause(signal?: AbortSignal): Promise<void> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await this.delay(Math.min(wait, this.opts.maxRetryAfterMs), signal);
  }

  /**
   * One token of the bot's budget. While the last answer from the budget's store, less what was taken
   * here since, leaves a token in the same window, the request goes on at once and its token is counted
   * in the store with the others taken meanwhile, within BUDGET_FLUSH_MS (one round trip for a burst
   * instead of one per request, on every Mattermost call's path; `KeyRateLimiter`). Otherwise it waits
   * in the queue as before, after the tokens taken so far are counted (commands run in order, so the
   * store decides on all of them). Exact for one process; with several, a bot may overshoot by what the
   * others took since the last answer and have not counted yet.
   */
  private async takeBudget(url: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw this.error('aborted', url, 'request cancelled by the caller');
    if (this.budgetEstimate.take(this.budgetKey)) return;
    this.stats.budgetWaits++;
    this.budgetEstimate.sendUnsent(this.budgetKey);
    try {
      const left = await this.budget.removeTokens(
        1,
        this.budgetKey,
        Math.ceil((Date.now() + this.opts.budgetWaitMs) / 1000),
      );
      this.budgetEstimate.observed(this.budgetKey, left, BUDGET_WINDOW_MS);
    } catch (err) {
      this.stats.budgetRefused++;
      throw this.error(
        'budget',
        url,
        `the bridge's request budget to Mattermost (BRIDGE_MM_RATE=${this.opts.ratePerSec}/s) is exhausted`,
        err,
      );
    }
  }
}

export function isOutage(err: MattermostError): boolean {
  return err.kind === 'timeout' || err.kind === 'network' || (err.kind === 'http' && err.status >= 500);
}

function redactUrl(url: string): string {
  return url.split('?')[0];
}

type FetchOptions = { method?: string; body?: unknown; headers?: Record<string, string>; ignoreStatus?: boolean };
type ClientResponse<T> = { response: Response; headers: Headers; data: T };

/** Client4 whose every request goes through `ResilientFetch`; errors are `MattermostError`s. */
export class ResilientClient4 extends Client4 {
  readonly resilience: ResilientFetch;

  constructor(options: MattermostClientOptions) {
    super();
    this.setUrl(options.url.replace(/\/+$/, ''));
    if (options.token) this.setToken(options.token);
    const botKey = createHash('sha256')
      .update(options.token ?? 'anonymous')
      .digest('hex')
      .slice(0, 16);
    this.resilience = new ResilientFetch(this.getUrl(), options, botKey);
    // Client4 declares doFetchWithResponse private; it is an instance field, so we replace it here.
    (this as unknown as { doFetchWithResponse: unknown }).doFetchWithResponse = this.fetchWithResponse;
  }

  private fetchWithResponse = async <T>(url: string, options: FetchOptions): Promise<ClientResponse<T>> => {
    const response = await this.resilience.fetch(url, this.getOptions(options as never) as RequestInit);
    const data = await this.parseBody(url, response);
    if (response.ok || options.ignoreStatus) return { response, headers: response.headers, data: data as T };
    throw this.errorFor(url, response, data);
  };

  private async parseBody(url: string, response: Response): Promise<unknown> {
    const contentType = response.headers.get('content-type') ?? '';
    try {
      // Lenient where Client4 is strict: `application/json; charset=utf-8` is JSON too.
      if (/^application\/json\b/i.test(contentType)) return await response.json();
      if (/^application\/x-ndjson\b/i.test(contentType)) {
        return (await response.text())
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      }
      return await response.text();
    } catch (err) {
      throw new MattermostError(
        this.getUrl(),
        'http',
        { message: 'Received invalid response from the server.', url, status_code: response.status },
        undefined,
        err,
      );
    }
  }

  private errorFor(url: string, response: Response, data: unknown): MattermostError {
    const body = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    const text = typeof data === 'string' ? data.trim().slice(0, 200) : '';
    return new MattermostError(
      this.getUrl(),
      'http',
      {
        message: typeof body.message === 'string' && body.message ? body.message : text || `HTTP ${response.status}`,
        url,
        status_code: response.status,
        server_error_id: typeof body.id === 'string' ? body.id : undefined,
        detailed_error: typeof body.detailed_error === 'string' ? body.detailed_error : undefined,
      },
      response.status === 429 ? retryAfterMs(response.headers) : undefined,
    );
  }

  /** GET /files/{id}/info (Client4 has no method for it). */
  getFileInfo(fileId: string): Promise<FileInfo> {
    return this.doFetch<FileInfo>(`${this.getFileRoute(fileId)}/info`, { method: 'get' });
  }

  /**
   * Downloads a file's bytes through the same policy, refusing more than
   * `maxBytes` (checked on Content-Length and while reading).
   */
  async getFileBytes(fileId: string, maxBytes: number): Promise<{ bytes: Buffer; contentType: string }> {
    const url = this.getFileRoute(fileId);
    const response = await this.resilience.fetch(url, this.getOptions({ method: 'get' }) as RequestInit, 'stream');
    if (!response.ok) throw this.errorFor(url, response, await this.parseBody(url, response));
    const length = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(length) && length > maxBytes) {
      await response.body?.cancel();
      throw new FileTooLargeError(length, maxBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new FileTooLargeError(size, maxBytes);
        chunks.push(Buffer.from(chunk));
      }
    }
    return {
      bytes: Buffer.concat(chunks),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    };
  }
}

export class FileTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`file is larger than ${maxBytes} bytes (at least ${size})`);
    this.name = 'FileTooLargeError';
  }
}

/** The bridge's Client4: resilient fetch, bot token set. */
export function createMattermostClient(options: MattermostClientOptions): ResilientClient4 {
  return new ResilientClient4(options);
}
