/**
 * The resilient fetch under Client4, against a real HTTP server that plays
 * 429 storms, 5xx runs, hangs and outages.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { botTeams } from '../../src/tools/toolsets/common';
import express from 'express';
import type { Redis } from 'ioredis';
import fc from 'fast-check';
import { ClientError } from '@mattermost/client';
import {
  createMattermostClient,
  isMattermostError,
  MattermostError,
  retryAfterMs,
  bindAbortSignal,
  unbound,
  type MattermostClientOptions,
} from '../../src/mattermost/client';
import { connectRedis, cleanupPrefix, testPrefix } from '../helpers/redis';

const ME = { id: 'ybndrfg8ejkmcpqxot1uwisza3', username: 'bridge-bot' };

type Script = {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  hang?: boolean;
  /** Sends the headers and half the body, then cuts the connection (cut) or sends nothing more (stall). */
  partial?: 'cut' | 'stall';
};

/** A tiny server: each route plays a script of responses, then answers 200 with ME. */
class ScriptedServer {
  private scripts = new Map<string, Script[]>();
  hits = new Map<string, number>();
  private server?: Server;
  url = '';

  play(route: string, ...steps: Script[]): void {
    this.scripts.set(route, steps);
  }

  async start(): Promise<void> {
    const app = express();
    app.use(express.raw({ type: () => true }));
    app.all('/api/v4/*rest', (req, res) => {
      const route = `${req.method} ${req.path}`;
      this.hits.set(route, (this.hits.get(route) ?? 0) + 1);
      const step = this.scripts.get(route)?.shift();
      if (step?.hang) return; // never answers
      if (step?.partial) {
        const body = JSON.stringify(ME);
        res.writeHead(step.status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
        res.write(body.slice(0, body.length >> 1));
        if (step.partial === 'cut') setTimeout(() => res.socket?.destroy(), 10);
        return;
      }
      if (step) {
        res.status(step.status);
        for (const [k, v] of Object.entries(step.headers ?? {})) res.setHeader(k, v);
        res.send(step.body ?? '');
        return;
      }
      if (req.path === '/api/v4/charset') {
        res.json({ ok: true }); // express: application/json; charset=utf-8
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(req.method === 'POST' ? { id: 'p'.repeat(26), message: 'ok' } : ME));
    });
    await new Promise<void>((resolve) => {
      this.server = app.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const appError = (status: number, id: string, message: string): Script => ({
  status,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ id, message, detailed_error: '', request_id: 'r', status_code: status }),
});
const rateLimited = (retryAfter = '0'): Script => ({
  status: 429,
  headers: {
    'Content-Type': 'text/plain; charset=utf-8',
    'Retry-After': retryAfter,
    'X-Ratelimit-Limit': '11',
    'X-Ratelimit-Remaining': '0',
    'X-Ratelimit-Reset': retryAfter,
  },
  body: 'limit exceeded\n',
});

let server: ScriptedServer;

function client(over: Partial<MattermostClientOptions> = {}) {
  return createMattermostClient({
    url: server.url,
    token: 'test-token-0123456789',
    timeoutMs: 2000,
    ratePerSec: 1000,
    baseDelayMs: 5,
    maxDelayMs: 20,
    ...over,
  });
}

/** Runs `fn` with a Redis connection and a fresh key prefix for the budget, cleaned up after. */
async function withBudgetStore(name: string, fn: (redis: Redis, prefix: string) => Promise<void>): Promise<void> {
  const redis = connectRedis();
  const prefix = testPrefix(name);
  try {
    await fn(redis, prefix);
  } finally {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  }
}

async function failure(p: Promise<unknown>): Promise<MattermostError> {
  try {
    await p;
  } catch (err) {
    if (isMattermostError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

beforeEach(async () => {
  server = new ScriptedServer();
  await server.start();
});
afterEach(async () => {
  await server.stop();
});

describe('resilient Client4', () => {
  it('returns parsed bodies, also for application/json with a charset', async () => {
    const c = client();
    expect(await c.getMe()).toEqual(ME);
    const charset = await (c as unknown as { doFetch: (u: string, o: object) => Promise<unknown> }).doFetch(
      `${c.getBaseRoute()}/charset`,
      { method: 'get' },
    );
    expect(charset).toEqual({ ok: true });
  });

  it('keeps the status and server error id of AppErrors, as a ClientError', async () => {
    server.play('GET /api/v4/users/me', appError(404, 'app.user.missing.app_error', 'Unable to find the user.'));
    const err = await failure(client().getMe());
    expect(err).toBeInstanceOf(ClientError);
    expect(err.kind).toBe('http');
    expect(err.status_code).toBe(404);
    expect(err.server_error_id).toBe('app.user.missing.app_error');
    expect(err.message).toBe('Unable to find the user.');
    expect(server.hits.get('GET /api/v4/users/me')).toBe(1); // 4xx is not retried
  });

  it('rides out a 429 storm honouring Retry-After, and keeps the status when it gives up', async () => {
    server.play('GET /api/v4/users/me', rateLimited(), rateLimited(), rateLimited());
    expect(await client().getMe()).toEqual(ME);
    expect(server.hits.get('GET /api/v4/users/me')).toBe(4);

    server.play('GET /api/v4/users/me', rateLimited('120'));
    const err = await failure(client().getMe());
    expect(err.status_code).toBe(429);
    expect(err.retryAfterMs).toBe(120_000);
    expect(err.message).toBe('limit exceeded');
  });

  it('retries 5xx for reads but never repeats a post creation', async () => {
    server.play('GET /api/v4/users/me', appError(503, 'x', 'down'), appError(502, 'x', 'down'));
    expect(await client().getMe()).toEqual(ME);
    expect(server.hits.get('GET /api/v4/users/me')).toBe(3);

    server.play('POST /api/v4/posts', appError(503, 'x', 'down'));
    const err = await failure(client().createPost({ channel_id: 'c', message: 'hi' } as never));
    expect(err.status_code).toBe(503);
    expect(server.hits.get('POST /api/v4/posts')).toBe(1);
  });

  it('times out a hanging request and reports it as a timeout', async () => {
    server.play('GET /api/v4/users/me', { status: 0, hang: true }, { status: 0, hang: true });
    const err = await failure(client({ timeoutMs: 150, maxAttempts: 2 }).getMe());
    expect(err.kind).toBe('timeout');
    expect(server.hits.get('GET /api/v4/users/me')).toBe(2);
  });

  it('stops when the caller cancels', async () => {
    server.play('GET /api/v4/users/me', { status: 0, hang: true });
    const ac = new AbortController();
    const c = client();
    const p = bindAbortSignal(c, ac.signal).getMe();
    setTimeout(() => ac.abort(), 50);
    const err = await failure(p);
    expect(err.kind).toBe('aborted');
    expect(server.hits.get('GET /api/v4/users/me')).toBe(1);
  });

  it('caches shared by all callers see through bound clients (unbound)', async () => {
    const c = client();
    expect(unbound(c)).toBe(c);
    expect(unbound(bindAbortSignal(c, new AbortController().signal))).toBe(c);
    const ctx = () =>
      ({
        services: { mattermost: bindAbortSignal(c, new AbortController().signal), config: { BRIDGE_TEAMS: [] } },
      }) as unknown as Parameters<typeof botTeams>[0];
    await botTeams(ctx());
    await botTeams(ctx()); // another call, another bound client: the memo still answers
    expect(server.hits.get('GET /api/v4/users/me/teams')).toBe(1);
  });

  it('binds the signal to the calls made through the bound client only', async () => {
    server.play('GET /api/v4/users/me', { status: 0, hang: true }); // then ME
    const ac = new AbortController();
    const c = client();
    const bound = bindAbortSignal(c, ac.signal).getMe();
    const unbound = c.getMe(); // started while the bound call is pending: must not take its signal
    ac.abort();
    expect((await failure(bound)).kind).toBe('aborted');
    expect(await unbound).toEqual(ME);
  });

  it('opens the circuit while Mattermost is down, fails fast, and closes once it is back', async () => {
    const c = client({ maxAttempts: 1, breakerThreshold: 3, breakerHalfOpenAfterMs: 300 });
    server.play('GET /api/v4/users/me', ...Array.from({ length: 3 }, () => appError(503, 'x', 'down')));
    for (let i = 0; i < 3; i++) expect((await failure(c.getMe())).status_code).toBe(503);
    expect(c.resilience.circuitState).toBe('open');

    const fast = await failure(c.getMe());
    expect(fast.kind).toBe('circuit_open');
    expect(fast.message).toMatch(/unavailable/);
    expect(server.hits.get('GET /api/v4/users/me')).toBe(3); // did not reach the server

    await new Promise((r) => setTimeout(r, 400));
    expect(await c.getMe()).toEqual(ME);
    expect(c.resilience.circuitState).toBe('closed');
  });

  it('reads the answer within the attempt: a cut one is a network failure (retried for reads), a stalled one times out', async () => {
    server.play('GET /api/v4/users/me', { status: 200, partial: 'cut' });
    const c = client();
    expect((await c.getMe()).username).toBe(ME.username);
    expect(server.hits.get('GET /api/v4/users/me')).toBe(2);
    expect(c.resilience.stats.retries).toBe(1);

    server.play('POST /api/v4/posts', { status: 201, partial: 'cut' });
    const cut = await failure(client().createPost({ channel_id: 'c', message: 'hi' } as never));
    expect(cut.kind).toBe('network');
    expect(cut.message).toMatch(/answer was cut off/);
    expect(server.hits.get('POST /api/v4/posts')).toBe(1); // a post creation is never repeated

    server.play('GET /api/v4/users/me', { status: 200, partial: 'stall' }, { status: 200, partial: 'stall' });
    const stalled = await failure(client({ timeoutMs: 150, maxAttempts: 2 }).getMe());
    expect(stalled.kind).toBe('timeout');
    expect(server.hits.get('GET /api/v4/users/me')).toBe(4);
  });

  it('reads an answer without a body (204)', async () => {
    server.play('DELETE /api/v4/posts/x', { status: 204 });
    const res = await client().resilience.fetch(`${server.url}/api/v4/posts/x`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('reports an unreachable server as a network error (and retries connection refusals)', async () => {
    const url = server.url;
    await server.stop();
    const c = createMattermostClient({ url, timeoutMs: 500, ratePerSec: 100, baseDelayMs: 1, maxDelayMs: 2 });
    const err = await failure(c.createPost({ channel_id: 'c', message: 'hi' } as never));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/ECONNREFUSED/);
    server = new ScriptedServer();
    await server.start();
  });

  it('refuses requests beyond the budget queue instead of hammering the server', async () => {
    const c = client({ ratePerSec: 1, budgetQueue: 1, budgetWaitMs: 5000 });
    const results = await Promise.allSettled([c.getMe(), c.getMe(), c.getMe(), c.getMe()]);
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const r of refused) {
      expect((r.reason as MattermostError).kind).toBe('budget');
      expect((r.reason as MattermostError).message).toMatch(/BRIDGE_MM_RATE/);
    }
    expect(server.hits.get('GET /api/v4/users/me')).toBe(4 - refused.length);
  });

  it('shares the budget between clients of the same bot through Redis', () =>
    withBudgetStore('mmclient', async (redis, prefix) => {
      const a = client({ ratePerSec: 1, budgetQueue: 0, redis, budgetKeyPrefix: prefix });
      const b = client({ ratePerSec: 1, budgetQueue: 0, redis, budgetKeyPrefix: prefix });
      await a.getMe();
      const err = await failure(b.getMe());
      expect(err.kind).toBe('budget');
    }));

  it('takes budget without a round trip while the last answer leaves some, and counts every token in Redis', () =>
    withBudgetStore('mmbudget', async (redis, prefix) => {
      const c = client({ ratePerSec: 1000, redis, budgetKeyPrefix: prefix });
      for (let i = 0; i < 50; i++) await c.getMe();
      expect(c.resilience.stats.budgetWaits).toBeLessThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 150)); // the unsent tokens are counted within 50 ms
      const [key] = await redis.keys(`${prefix}*`);
      expect(Number(await redis.get(key))).toBe(50);
    }));

  it('property: one process never lets more than the budget through in a window', () =>
    withBudgetStore('mmbudget-prop', async (redis, prefix) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 }),
          async (points, waves) => {
            const c = client({ ratePerSec: points, budgetQueue: 0, redis, budgetKeyPrefix: `${prefix}:${++run}` });
            const started = Date.now();
            let allowed = 0;
            for (const size of waves) {
              const results = await Promise.allSettled(Array.from({ length: size }, () => c.getMe()));
              allowed += results.filter((r) => r.status === 'fulfilled').length;
            }
            if (Date.now() - started > 800) return; // a new window may have begun: nothing to compare
            const total = waves.reduce((a, b) => a + b, 0);
            expect(allowed).toBe(Math.min(points, total));
          },
        ),
        { numRuns: 30 },
      );
    }));

  it('downloads file bytes with a size cap', async () => {
    server.play('GET /api/v4/files/ybndrfg8ejkmcpqxot1uwisza3', {
      status: 200,
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello file',
    });
    const c = client();
    const got = await c.getFileBytes('ybndrfg8ejkmcpqxot1uwisza3', 100);
    expect(got.bytes.toString()).toBe('hello file');
    server.play('GET /api/v4/files/ybndrfg8ejkmcpqxot1uwisza3', {
      status: 200,
      headers: { 'Content-Type': 'text/plain' },
      body: 'x'.repeat(200),
    });
    await expect(c.getFileBytes('ybndrfg8ejkmcpqxot1uwisza3', 100)).rejects.toThrow(/larger than 100 bytes/);
  });
});

describe('retryAfterMs', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it('reads Retry-After seconds and dates, else X-Ratelimit-Reset seconds', () => {
    expect(retryAfterMs(h({ 'Retry-After': '3' }))).toBe(3000);
    expect(retryAfterMs(h({ 'Retry-After': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterMs(h({ 'X-Ratelimit-Reset': '2' }))).toBe(2000);
    expect(retryAfterMs(h({}))).toBeUndefined();
    expect(retryAfterMs(h({ 'Retry-After': 'soon' }))).toBeUndefined();
  });
});
