/**
 * Faults switchable at run time: the real rate limiter's 429 (app/ratelimit.go:
 * X-Ratelimit-* headers, Retry-After, `limit exceeded` as text/plain), N
 * failures of a route, slow responses. Dropping sockets lives in the hub.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from './app-error';
import { goJson } from './wire-json';

export interface RateLimitConfig {
  /** Requests per second refilled (RateLimitSettings.PerSec, default 10). */
  perSec: number;
  /** Burst above the steady rate (RateLimitSettings.MaxBurst, default 100); X-Ratelimit-Limit is MaxBurst+1. */
  maxBurst: number;
}

export interface RouteMatch {
  /** HTTP method; any when absent. */
  method?: string;
  /** Exact request path, or a pattern where `*` matches one path segment and a trailing `**` the rest. */
  path?: string;
}

export interface FailRule extends RouteMatch {
  /** How many matching requests fail before the rule is spent. */
  count: number;
  /** Status of the failure (default 500). */
  status?: number;
  id?: string;
  message?: string;
}

export interface SlowRule extends RouteMatch {
  delayMs: number;
}

export interface FaultsInput {
  rateLimit?: Partial<RateLimitConfig> | null | false;
  failNext?: FailRule | FailRule[] | null;
  slow?: SlowRule | SlowRule[] | null;
  clear?: boolean;
}

function patternMatches(pattern: string, path: string): boolean {
  if (!pattern.includes('*')) return pattern === path;
  const re = new RegExp(
    '^' +
      pattern
        .split('/')
        .map((seg) => (seg === '**' ? '.*' : seg === '*' ? '[^/]+' : seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
        .join('/') +
      '$',
  );
  return re.test(path);
}

function routeMatches(rule: RouteMatch, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  return rule.path === undefined || patternMatches(rule.path, path);
}

export class Faults {
  private rate: RateLimitConfig | undefined;
  private buckets = new Map<string, { tokens: number; at: number }>();
  private fail: FailRule[] = [];
  private slow: SlowRule[] = [];

  apply(input: FaultsInput): void {
    if (input.clear) this.clear();
    if (input.rateLimit !== undefined) {
      if (!input.rateLimit) {
        this.rate = undefined;
      } else {
        const perSec = Number(input.rateLimit.perSec ?? 10);
        const maxBurst = Number(input.rateLimit.maxBurst ?? 100);
        if (!(perSec > 0) || !(maxBurst >= 0)) throw new Error('rateLimit needs perSec > 0 and maxBurst >= 0');
        this.rate = { perSec, maxBurst };
      }
      this.buckets.clear();
    }
    if (input.failNext !== undefined) {
      const rules = input.failNext === null ? [] : Array.isArray(input.failNext) ? input.failNext : [input.failNext];
      for (const r of rules) {
        if (!Number.isInteger(r.count) || r.count < 1) throw new Error('failNext.count must be a positive integer');
        if (r.status !== undefined && (!Number.isInteger(r.status) || r.status < 400 || r.status > 599)) {
          throw new Error('failNext.status must be 400-599');
        }
      }
      this.fail = input.failNext === null ? [] : [...this.fail, ...rules.map((r) => ({ ...r }))];
    }
    if (input.slow !== undefined) {
      const rules = input.slow === null ? [] : Array.isArray(input.slow) ? input.slow : [input.slow];
      for (const r of rules) if (!(Number(r.delayMs) >= 0)) throw new Error('slow.delayMs must be >= 0');
      this.slow = input.slow === null ? [] : rules.map((r) => ({ ...r, delayMs: Number(r.delayMs) }));
    }
  }

  clear(): void {
    this.rate = undefined;
    this.buckets.clear();
    this.fail = [];
    this.slow = [];
  }

  state(): { rateLimit: RateLimitConfig | null; failNext: FailRule[]; slow: SlowRule[] } {
    return {
      rateLimit: this.rate ?? null,
      failNext: this.fail.map((r) => ({ ...r })),
      slow: this.slow.map((r) => ({ ...r })),
    };
  }

  /**
   * Runs the faults for one request. Returns true when it answered the request itself (429 or an
   * injected failure); otherwise the request goes on after any configured delay.
   */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    const delay = this.slow.find((r) => routeMatches(r, method, path))?.delayMs ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.rate && !this.rateLimit(req, res)) return true;
    const rule = this.fail.find((r) => r.count > 0 && routeMatches(r, method, path));
    if (rule) {
      rule.count -= 1;
      if (rule.count === 0) this.fail = this.fail.filter((r) => r !== rule);
      const status = rule.status ?? 500;
      const err = new AppError(rule.id ?? 'fake.fault.injected.app_error', rule.message ?? 'Injected failure.', status);
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.end(goJson(err.toJSON()));
      return true;
    }
    return false;
  }

  /** GCRA-like bucket per remote address; sets the headers; false when it wrote the 429. */
  private rateLimit(req: IncomingMessage, res: ServerResponse): boolean {
    const rate = this.rate!;
    const capacity = rate.maxBurst + 1;
    const key = req.socket.remoteAddress ?? '';
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate.perSec);
    bucket.at = now;
    this.buckets.set(key, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const resetSeconds = Math.ceil((capacity - bucket.tokens) / rate.perSec);
    res.setHeader('X-Ratelimit-Limit', String(capacity));
    res.setHeader('X-Ratelimit-Remaining', String(Math.max(0, Math.floor(bucket.tokens))));
    res.setHeader('X-Ratelimit-Reset', String(resetSeconds));
    if (allowed) return true;
    res.statusCode = 429;
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil((1 - bucket.tokens) / rate.perSec))));
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end('limit exceeded\n');
    return false;
  }
}
