/**
 * A per-key budget kept in Redis (rate-limiter-flexible), without a Redis
 * round trip per request while the key clearly has budget left: /mcp's
 * per-key rate limit, and the bot's request budget to Mattermost (which waits
 * in a queue instead of refusing, through `take` / `sendUnsent` / `observed`).
 *
 * Every request is still counted in Redis (`RateLimiterRedis`, shared by all
 * instances), but a request need not wait for the answer when the last answer
 * seen here, minus what was counted here since, still leaves at least one point
 * in the same window. Such requests are counted locally and sent to Redis
 * together, as one consume of several points, at most `flushMs` later (one
 * script call for a burst of requests instead of one each). The estimate is a
 * lower bound on what Redis holds for a key only this instance uses, so a
 * single instance answers 429 exactly when a consume per request would; with
 * several instances a key may overshoot by what the others counted since the
 * last answer, plus what they have not sent yet. Unknown, spent or expired
 * estimates wait for Redis, taking the points not yet sent along.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';

/** How long points counted locally may wait before they are sent to Redis. */
export const RATE_FLUSH_MS = 100;

type Estimate = {
  /** Points left in the window as far as this instance can tell (answers less everything counted since). */
  remaining: number;
  /** Local time at which the window ends. */
  resetAt: number;
  /** Points sent to Redis so far, and the running total up to the latest consume whose answer was applied. */
  sent: number;
  applied: number;
  /** Points let through here and not sent yet. */
  unsent: number;
};

export class KeyRateLimiter {
  private readonly estimates = new Map<string, Estimate>();
  private flushTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly limiter: RateLimiterAbstract,
    /** A consume that failed (not a 429) after its requests were let through. */
    private readonly onBackgroundError: (err: unknown) => void,
    private readonly flushMs = RATE_FLUSH_MS,
  ) {}

  /** Resolves when the request may go on; rejects with a RateLimiterRes when the key is over its budget. */
  async consume(key: string): Promise<void> {
    if (this.take(key)) return;
    const est = this.estimate(key);
    await this.send(key, est, est.unsent + 1);
  }

  /**
   * Takes a point without waiting when the estimate leaves one in the window (counted in Redis within
   * `flushMs`); false: the caller must ask Redis.
   */
  take(key: string): boolean {
    const est = this.estimate(key);
    if (!(est.remaining >= 1 && Date.now() < est.resetAt)) return false;
    est.remaining--;
    est.unsent++;
    this.flushTimer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
    return true;
  }

  /** Sends the key's unsent points now: a consume issued after this on the same connection sees them. */
  sendUnsent(key: string): void {
    const est = this.estimate(key);
    if (est.unsent > 0) this.sendInBackground(key, est, est.unsent);
  }

  /**
   * The answer to a consume made elsewhere (after `sendUnsent`, on the same limiter): newer than every
   * answer to what was sent here, so it replaces the estimate.
   */
  observed(key: string, remaining: number, msBeforeNext: number): void {
    const est = this.estimate(key);
    est.applied = est.sent;
    est.remaining = remaining - est.unsent;
    est.resetAt = Date.now() + msBeforeNext;
  }

  private estimate(key: string): Estimate {
    let est = this.estimates.get(key);
    if (!est) this.estimates.set(key, (est = { remaining: 0, resetAt: 0, sent: 0, applied: 0, unsent: 0 }));
    return est;
  }

  private sendInBackground(key: string, est: Estimate, points: number): void {
    this.send(key, est, points).catch((err: unknown) => {
      if (!(err instanceof RateLimiterRes)) this.onBackgroundError(err);
    });
  }

  /** Sends every key's unsent points now; resolves when Redis has answered all consumes sent so far. */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [key, est] of this.estimates) if (est.unsent > 0) this.sendInBackground(key, est, est.unsent);
    await Promise.allSettled([...this.inFlight]);
  }

  private send(key: string, est: Estimate, points: number): Promise<void> {
    est.unsent = 0;
    est.sent += points;
    const upTo = est.sent;
    const answer = this.limiter.consume(key, points).then(
      (res) => this.apply(est, upTo, res.remainingPoints, res.msBeforeNext),
      (err: unknown) => {
        if (err instanceof RateLimiterRes) this.apply(est, upTo, 0, err.msBeforeNext);
        else est.resetAt = 0; // no answer: the next requests wait for Redis
        throw err;
      },
    );
    this.inFlight.add(answer);
    void answer.then(
      () => this.inFlight.delete(answer),
      () => this.inFlight.delete(answer),
    );
    return answer;
  }

  private apply(est: Estimate, upTo: number, remaining: number, msBeforeNext: number): void {
    if (upTo <= est.applied) return;
    est.applied = upTo;
    est.remaining = remaining - (est.sent - upTo) - est.unsent;
    est.resetAt = Date.now() + msBeforeNext;
  }
}
