/**
 * The per-key request budget of /mcp, without a Redis round trip on the
 * request's path while the key clearly has budget left.
 *
 * Every request is still consumed in Redis (`RateLimiterRedis`, shared by all
 * instances), but a request need not wait for the answer when the last answer
 * seen here, minus the requests consumed here since, still leaves at least one
 * point in the same window. That estimate is a lower bound on what Redis holds
 * for a key only this instance uses (commands on one connection run in order),
 * so a single instance answers 429 exactly when it did before; with several
 * instances a key may overshoot by what the others consumed since the last
 * answer. Unknown, spent or expired estimates wait for Redis as before.
 */
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';

type Estimate = {
  /** Points left after the consume numbered `seq`, less the consumes issued since. */
  remaining: number;
  /** Local time at which the window ends. */
  resetAt: number;
  /** Consumes issued for the key, and the latest one whose answer was applied. */
  issued: number;
  applied: number;
};

export class KeyRateLimiter {
  private readonly estimates = new Map<string, Estimate>();

  constructor(
    private readonly limiter: RateLimiterRedis,
    /** A consume that failed (not a 429) after the request was let through. */
    private readonly onBackgroundError: (err: unknown) => void,
  ) {}

  /** Resolves when the request may go on; rejects with a RateLimiterRes when the key is over its budget. */
  async consume(key: string): Promise<void> {
    let e = this.estimates.get(key);
    if (!e) this.estimates.set(key, (e = { remaining: 0, resetAt: 0, issued: 0, applied: 0 }));
    const est = e;
    const seq = ++est.issued;
    const answer = this.limiter.consume(key).then(
      (res) => this.apply(est, seq, res.remainingPoints, res.msBeforeNext),
      (err: unknown) => {
        if (err instanceof RateLimiterRes) this.apply(est, seq, 0, err.msBeforeNext);
        else est.resetAt = 0; // no answer: the next requests wait for Redis
        throw err;
      },
    );
    if (est.remaining >= 1 && Date.now() < est.resetAt) {
      est.remaining--;
      answer.catch((err: unknown) => {
        if (!(err instanceof RateLimiterRes)) this.onBackgroundError(err);
      });
      return;
    }
    await answer;
  }

  private apply(est: Estimate, seq: number, remaining: number, msBeforeNext: number): void {
    if (seq <= est.applied) return;
    est.applied = seq;
    est.remaining = remaining - (est.issued - seq);
    est.resetAt = Date.now() + msBeforeNext;
  }
}
