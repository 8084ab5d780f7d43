/**
 * Scenario 3 — fan-out to many MCP sessions.
 *
 * `sessions` MCP sessions over Streamable HTTP (minimal protocol clients in
 * this process, see light-mcp.ts), each subscribed to the posts URI of one of
 * the bench channels (round-robin).
 * Posts at `rate` per second in the fake, round-robin over the channels, for
 * `durationMs`. A post is delivered to a session when a notification of its
 * channel URI reaches that session after the post was appended (coverage.ts);
 * expected = posts × sessions subscribed to their channel. The bridge runs in
 * its own process, whose RSS and CPU are sampled every second.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BenchWorld } from '../lib/env';
import { BENCH_KEY } from '../lib/env';
import type { BridgeChild } from '../lib/bridge';
import type { BridgeStats } from '../bridge/protocol';
import { nowMs, sleep, until } from '../lib/clock';
import { coverage, type CoveredPost } from '../lib/coverage';
import { LightMcpSession } from '../lib/light-mcp';
import { LogObserver } from '../lib/observer';
import { summarize, type Summary } from '../lib/stats';
import { redisKeys } from '../../src/redis/keys';
import { URIS } from '../../src/updates/uris';

export interface FanoutResult {
  sessions: number;
  channels: number;
  rate: number;
  durationMs: number;
  posted: number;
  expected: number;
  delivered: number;
  deliveredPct: number;
  notifications: number;
  latency: Summary;
  /** Time to open every session (initialize + GET stream + subscribe). */
  connectMs: number;
  bridge: {
    rssBeforeMB: number;
    rssAfterConnectMB: number;
    rssPeakMB: number;
    rssEndMB: number;
    /** CPU time of the bridge during posting and delivery, as % of one core. */
    cpuPct: number;
    /** Highest 1-second CPU sample, % of one core. */
    cpuPeakPct: number;
    /** The bridge's event-loop delay: the highest 1-second p99 and the maximum, ms. */
    loopDelayMs: { p99: number; max: number };
  };
  /** This process (every MCP client) over the same window, % of one core. */
  driverCpuPct: number;
  /**
   * This process's event-loop delay over the window, ms: the clients note a notification's arrival only
   * when this loop reads it, so its delays are part of the measured latencies.
   */
  driverLoopDelayMs: { p50: number; p99: number; max: number };
}

const MB = 2 ** 20;

interface Session {
  c: LightMcpSession;
  uri: string;
  notes: Map<string, number[]>;
}

async function inBatches<T>(n: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, k) => make(i + k)))));
  }
  return out;
}

export async function fanout(
  world: BenchWorld,
  bridge: BridgeChild,
  prefix: string,
  opts: { sessions: number; rate: number; durationMs: number; connectBatch?: number; profileTo?: string },
): Promise<FanoutResult> {
  const keys = redisKeys(prefix);
  const observer = new LogObserver(world.connect(), keys.logStream(URIS.events));
  await observer.start();
  const before = await bridge.stats();

  const tc = nowMs();
  const sessions = await inBatches(opts.sessions, opts.connectBatch ?? 25, async (i): Promise<Session> => {
    const c = new LightMcpSession(bridge.ready.url, BENCH_KEY);
    await c.connect(`bench-fanout-${i}`);
    const uri = URIS.channelPosts(world.channels[i % world.channels.length].id);
    await c.subscribe(uri);
    await c.streamOpen;
    return { c, uri, notes: c.notes };
  });
  const connectMs = nowMs() - tc;

  // Warm-up: one post per channel reaches every session before measuring.
  await Promise.all(world.channels.map((_, c) => world.fake.post(c, 'warm-up')));
  await until('warm-up notification in every session', () => sessions.every((s) => s.notes.has(s.uri)), 60_000, 50);
  await sleep(300);
  for (const s of sessions) s.notes.clear();
  const afterConnect = await bridge.stats();

  if (opts.profileTo) await bridge.request({ type: 'profile', id: 0, action: 'start' });
  const samples: BridgeStats[] = [afterConnect];
  const driverCpu0 = process.cpuUsage();
  const driverLoop = monitorEventLoopDelay({ resolution: 1 });
  driverLoop.enable();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(1000);
      if (sampling) samples.push(await bridge.stats());
    }
  })();

  const made = await world.fake.postAtRate(opts.rate, opts.durationMs, 'fan-out post');
  const sent = made.posts.map(([id, c, at]) => ({ id, uri: URIS.channelPosts(world.channels[c].id), at }));
  const posted = sent.length;

  await until('every post in the log', () => sent.every((s) => observer.byPost.has(s.id)), 30_000, 50).catch(
    () => undefined,
  );
  const postsOf = new Map<string, CoveredPost[]>();
  for (const s of sent) {
    const seen = observer.byPost.get(s.id);
    let list = postsOf.get(s.uri);
    if (!list) postsOf.set(s.uri, (list = []));
    // not in the log: never deliverable (counted as missed)
    list.push({ sentAt: s.at, appendedAt: seen ? seen.appendedAt : Infinity });
  }
  // Delivery is complete when every session has a notification after the newest append of its channel.
  const newest = new Map([...postsOf].map(([uri, ps]) => [uri, Math.max(...ps.map((p) => p.appendedAt))]));
  await until(
    'every session notified of its channel’s last post',
    () => sessions.every((s) => (s.notes.get(s.uri) ?? []).some((t) => t >= (newest.get(s.uri) ?? Infinity))),
    30_000,
    100,
  ).catch(() => undefined);
  sampling = false;
  await sampler;
  if (opts.profileTo) await bridge.request({ type: 'profile', id: 0, action: 'stop', path: opts.profileTo }, 120_000);
  const end = await bridge.stats();
  const driverCpu = process.cpuUsage(driverCpu0);
  driverLoop.disable();
  samples.push(end);
  await observer.stop();

  const latencies: number[] = [];
  let delivered = 0;
  let expected = 0;
  let notifications = 0;
  for (const s of sessions) {
    const posts = postsOf.get(s.uri) ?? [];
    const times = s.notes.get(s.uri) ?? [];
    notifications += times.length;
    const c = coverage(posts, times);
    expected += posts.length;
    delivered += c.latencies.length;
    for (const l of c.latencies) latencies.push(l);
  }

  await inBatches(sessions.length, 50, (i) => sessions[i].c.close());

  const cpuUs = (a: BridgeStats, b: BridgeStats) => b.cpuUserUs + b.cpuSystemUs - (a.cpuUserUs + a.cpuSystemUs);
  let cpuPeak = 0;
  for (let i = 1; i < samples.length; i++) {
    const wall = (samples[i].at - samples[i - 1].at) * 1000;
    if (wall > 0) cpuPeak = Math.max(cpuPeak, (cpuUs(samples[i - 1], samples[i]) / wall) * 100);
  }
  const wallUs = (end.at - afterConnect.at) * 1000;
  return {
    sessions: opts.sessions,
    channels: world.channels.length,
    rate: opts.rate,
    durationMs: opts.durationMs,
    posted,
    expected,
    delivered,
    deliveredPct: expected ? Math.round((delivered / expected) * 100_000) / 1000 : 0,
    notifications,
    latency: summarize(latencies),
    connectMs: Math.round(connectMs),
    bridge: {
      rssBeforeMB: Math.round(before.rss / MB),
      rssAfterConnectMB: Math.round(afterConnect.rss / MB),
      rssPeakMB: Math.round(Math.max(...samples.map((s) => s.rss)) / MB),
      rssEndMB: Math.round(end.rss / MB),
      cpuPct: Math.round((cpuUs(afterConnect, end) / wallUs) * 1000) / 10,
      cpuPeakPct: Math.round(cpuPeak * 10) / 10,
      loopDelayMs: {
        p99: Math.max(...samples.slice(1).map((x) => x.loopDelayMs.p99)),
        max: Math.max(...samples.slice(1).map((x) => x.loopDelayMs.max)),
      },
    },
    driverCpuPct: Math.round(((driverCpu.user + driverCpu.system) / wallUs) * 1000) / 10,
    driverLoopDelayMs: {
      p50: Math.round(driverLoop.percentile(50) / 1e4) / 100,
      p99: Math.round(driverLoop.percentile(99) / 1e4) / 100,
      max: Math.round(driverLoop.max / 1e4) / 100,
    },
  };
}
