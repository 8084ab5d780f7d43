/**
 * Scenario 1 — latency at a fixed post rate.
 *
 * Bridge: posts made in the fake Mattermost (its own process) at `rate` per
 * second, round-robin over the bench channels, travel WebSocket → ingest →
 * BullMQ → normalize → event log in the bridge's process. Measured from the
 * moment the fake created the post to
 *   (a) the record being visible in the log (a blocking XREAD reader here),
 *   (b) a notifications/resources/updated of its channel's posts URI reaching
 *       an MCP client subscribed to every bench channel (see coverage.ts),
 *   (c) a wait_for_events loop (one MCP client, next_cursor each time) getting it.
 * Both clients are minimal protocol clients (bench/lib/light-mcp.ts): SDK
 * clients here took a third of a core from the two the bridge runs on.
 *
 * Baseline: bare BullMQ — one `queue.add()` per event from this process into
 * a no-op Worker in a child process, measured from add() to the job starting.
 *
 * Both run `warmupMs` at the rate before the measured window: a process that
 * just started runs its hot paths unoptimized for the first seconds (traced
 * in the bridge at 1,000/s: p99 227 ms in the first second, 23–35 ms in the
 * next two, 10–20 ms from the sixth on), which is start-up, not the steady
 * state the targets are about.
 */
import type { BenchWorld } from '../lib/env';
import { BENCH_KEY, redisCpuSeconds } from '../lib/env';
import type { BridgeChild } from '../lib/bridge';
import type { BridgeStats } from '../bridge/protocol';
import type { Baseline } from '../lib/baseline';
import { nowMs, sleep, until } from '../lib/clock';
import { atRate } from '../lib/rate';
import { coverage } from '../lib/coverage';
import { LightMcpSession } from '../lib/light-mcp';
import { LogObserver } from '../lib/observer';
import { summarize, type Summary } from '../lib/stats';
import { redisKeys } from '../../src/redis/keys';
import { URIS } from '../../src/updates/uris';

export interface BridgeLatencyResult {
  rate: number;
  durationMs: number;
  posted: number;
  /** Achieved posting rate (posts / wall time of the posting loop). */
  achievedRate: number;
  inLog: Summary;
  notification: Summary & { missed: number; notifications: number };
  waitForEvents: Summary & { missed: number; calls: number };
  /** The bridge process while posting and draining: CPU as % of one core, and CPU ms per post. */
  bridgeCpu: { pct: number; msPerPost: number };
  /** The bridge's event-loop delay over the same window. */
  bridgeLoopDelayMs: { p50: number; p99: number; max: number };
  /** This process (the MCP clients, the log reader) over the same window, % of one core. */
  driverCpuPct: number;
  /** The fake Mattermost's process over the same window, % of one core. */
  fakeCpuPct: number;
  /** The Redis server over the same window, % of one core. */
  redisCpuPct: number;
}

export interface BaselineLatencyResult {
  rate: number;
  durationMs: number;
  added: number;
  achievedRate: number;
  errors: number;
  processed: Summary & { missed: number };
}

type WaitResult = { updates: { data: { post?: { id: string } } }[]; next_cursor: string };

/** A wait_for_events loop on mattermost://new_channel_posts; notes when each post id came back. */
function waitLoop(client: LightMcpSession, cursor: string) {
  const got = new Map<string, number>();
  let calls = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const res = await client.callTool('wait_for_events', {
        cursor,
        streams: [URIS.newChannelPosts],
        limit: 100,
        timeout_ms: 1000,
      });
      const at = nowMs();
      calls++;
      if (res.isError) throw new Error(`wait_for_events failed: ${JSON.stringify(res.content).slice(0, 300)}`);
      const out = res.structuredContent as WaitResult;
      for (const u of out.updates) if (u.data.post) got.set(u.data.post.id, at);
      cursor = out.next_cursor;
    }
  })();
  return {
    got,
    calls: () => calls,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

export async function bridgeLatency(
  world: BenchWorld,
  bridge: BridgeChild,
  prefix: string,
  opts: { rate: number; durationMs: number; warmupMs?: number; drainTimeoutMs?: number; profileTo?: string },
): Promise<BridgeLatencyResult> {
  const keys = redisKeys(prefix);
  const conn = world.connect();
  const observer = new LogObserver(conn, keys.logStream(URIS.events));
  await observer.start();

  const subscriber = new LightMcpSession(bridge.ready.url, BENCH_KEY);
  await subscriber.connect('bench-subscriber');
  const notes = subscriber.notes;
  for (const ch of world.channels) await subscriber.subscribe(URIS.channelPosts(ch.id));
  await subscriber.streamOpen;

  const waiter = new LightMcpSession(bridge.ready.url, BENCH_KEY);
  await waiter.connect('bench-waiter');
  const head = await waiter.callTool('get_events', { streams: [URIS.newChannelPosts], limit: 1 });
  const loop = waitLoop(waiter, (head.structuredContent as WaitResult).next_cursor);

  // Warm-up: one post per channel, seen everywhere, before measuring.
  const warm = await Promise.all(world.channels.map(async (_, c) => (await world.fake.post(c, 'warm-up'))[0]));
  await until('warm-up posts seen by every reader', () => warm.every((id) => loop.got.has(id)), 30_000);
  await until('warm-up notifications', () => world.channels.every((ch) => notes.has(URIS.channelPosts(ch.id))), 10_000);
  if (opts.warmupMs) {
    const { posts } = await world.fake.postAtRate(opts.rate, opts.warmupMs, 'warm-up');
    await until('warm-up at the rate seen', () => posts.every(([id]) => loop.got.has(id)), 30_000);
  }
  await sleep(200);
  for (const list of notes.values()) list.length = 0;

  if (opts.profileTo) await bridge.request({ type: 'profile', id: 0, action: 'start' });
  const cpuBefore = await bridge.stats();
  const driverCpu0 = process.cpuUsage();
  const fakeBefore = await world.fake.stats();
  const redisCpu0 = await redisCpuSeconds(world.redis);
  const made = await world.fake.postAtRate(opts.rate, opts.durationMs, 'bench post');
  const sent = made.posts.map(([id, c, at]) => ({ id, uri: URIS.channelPosts(world.channels[c].id), at }));
  const posted = sent.length;
  const postingMs = made.postingMs;

  const drain = opts.drainTimeoutMs ?? 30_000;
  const allIn = () => sent.every((s) => observer.byPost.has(s.id));
  await until('every post in the log', allIn, drain, 50).catch(() => undefined);
  await until('every post through wait_for_events', () => sent.every((s) => loop.got.has(s.id)), 5_000, 50).catch(
    () => undefined,
  );
  await sleep(500); // the last notifications
  const cpuAfter = await bridge.stats();
  const driverCpu = process.cpuUsage(driverCpu0);
  const fakeAfter = await world.fake.stats();
  const redisCpu = (await redisCpuSeconds(world.redis)) - redisCpu0;
  if (opts.profileTo) await bridge.request({ type: 'profile', id: 0, action: 'stop', path: opts.profileTo }, 120_000);
  await loop.stop();
  await observer.stop();
  await subscriber.close();
  await waiter.close();

  const inLog: number[] = [];
  const byUri = new Map<string, { sentAt: number; appendedAt: number }[]>();
  for (const s of sent) {
    const seen = observer.byPost.get(s.id);
    if (!seen) continue;
    inLog.push(seen.seenAt - s.at);
    let list = byUri.get(s.uri);
    if (!list) byUri.set(s.uri, (list = []));
    list.push({ sentAt: s.at, appendedAt: seen.appendedAt });
  }
  const notified: number[] = [];
  let missed = sent.length - inLog.length;
  let notifications = 0;
  for (const [uri, posts] of byUri) {
    const times = notes.get(uri) ?? [];
    notifications += times.length;
    const c = coverage(posts, times);
    notified.push(...c.latencies);
    missed += c.missed;
  }
  const waited: number[] = [];
  for (const s of sent) {
    const at = loop.got.get(s.id);
    if (at !== undefined) waited.push(at - s.at);
  }
  return {
    rate: opts.rate,
    durationMs: opts.durationMs,
    posted,
    achievedRate: Math.round((posted / postingMs) * 1000),
    inLog: summarize(inLog),
    notification: { ...summarize(notified), missed, notifications },
    waitForEvents: { ...summarize(waited), missed: sent.length - waited.length, calls: loop.calls() },
    bridgeCpu: cpuShare(cpuBefore, cpuAfter, posted),
    bridgeLoopDelayMs: cpuAfter.loopDelayMs,
    driverCpuPct: Math.round(((driverCpu.user + driverCpu.system) / ((cpuAfter.at - cpuBefore.at) * 1000)) * 1000) / 10,
    fakeCpuPct: cpuShare(fakeBefore, fakeAfter, posted).pct,
    redisCpuPct: Math.round((redisCpu / ((cpuAfter.at - cpuBefore.at) / 1000)) * 1000) / 10,
  };
}

export function cpuShare(a: BridgeStats, b: BridgeStats, posts: number): { pct: number; msPerPost: number } {
  const us = b.cpuUserUs + b.cpuSystemUs - (a.cpuUserUs + a.cpuSystemUs);
  const wallUs = (b.at - a.at) * 1000;
  return {
    pct: Math.round((us / wallUs) * 1000) / 10,
    msPerPost: Math.round((us / 1000 / Math.max(1, posts)) * 1000) / 1000,
  };
}

export async function baselineLatency(
  baseline: Baseline,
  opts: { rate: number; durationMs: number; warmupMs?: number; drainTimeoutMs?: number },
): Promise<BaselineLatencyResult> {
  await baseline.collect();
  // warm-up
  for (let i = 0; i < 20; i++) await baseline.queue.add('e', { seq: -1 - i }, { removeOnComplete: true });
  if (opts.warmupMs) {
    await atRate(opts.rate, opts.warmupMs, (i) => {
      baseline.queue.add('e', { seq: -100 - i }, { removeOnComplete: true }).catch(() => undefined);
    });
  }
  await sleep(200);
  await baseline.collect();
  const sentAt: number[] = [];
  let errors = 0;
  const t0 = nowMs();
  const added = await atRate(opts.rate, opts.durationMs, (i) => {
    sentAt[i] = nowMs();
    baseline.queue.add('e', { seq: i }, { removeOnComplete: true }).catch(() => errors++);
  });
  const addingMs = nowMs() - t0;
  const started = new Map<number, number>();
  const deadline = nowMs() + (opts.drainTimeoutMs ?? 30_000);
  while (started.size < added && nowMs() < deadline) {
    await sleep(100);
    for (const [seq, at] of await baseline.collect()) started.set(seq, at);
  }
  const lat: number[] = [];
  for (let i = 0; i < added; i++) {
    const at = started.get(i);
    if (at !== undefined) lat.push(at - sentAt[i]);
  }
  return {
    rate: opts.rate,
    durationMs: opts.durationMs,
    added,
    achievedRate: Math.round((added / addingMs) * 1000),
    errors,
    processed: { ...summarize(lat), missed: added - lat.length },
  };
}
