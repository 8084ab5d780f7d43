/**
 * The floor experiment (bench notes, item 21): post → SSE event through a
 * bare-bones pipeline of the architecture's hops (floor-pipeline.ts: the fake
 * Mattermost's WebSocket → BullMQ → XADD → SSE, in its own process), then the
 * bare BullMQ baseline at the same rate, on the same private Redis — what the
 * latency scenario's ratio target asks of the path when the bridge's own code
 * costs nothing. Not part of `npm run bench`.
 *
 *   npx tsx bench/experiments/floor.ts [--rate 1000] [--mode batch|per-event]
 */
import { get } from 'node:http';
import { Command, InvalidArgumentError, Option } from 'commander';
import { startWorld, type BenchWorld } from '../lib/env';
import { buildChildren, childScript, type ChildBuild } from '../lib/build';
import { BenchChild } from '../lib/child';
import { startBaseline } from '../lib/baseline';
import { baselineLatency, cpuShare } from '../scenarios/latency';
import { sleep, until } from '../lib/clock';
import { summarize, type Summary } from '../lib/stats';
import { readSseEvents } from '../lib/sse-reader';
import type { BridgeStats, ChildMessage } from '../bridge/protocol';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer');
  return n;
};

/** Reads the pipeline's SSE stream, noting nowMs() when each post id arrives. */
function readEvents(url: string): Promise<Map<string, number>> {
  const got = new Map<string, number>();
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      readSseEvents(res, (event, at) => {
        if (event.startsWith('data: ')) for (const id of event.slice(6).split(',')) got.set(id, at);
      });
      res.on('error', () => undefined); // the pipeline stopped
      resolve(got);
    }).on('error', reject);
  });
}

export interface FloorOptions {
  rate: number;
  mode: 'batch' | 'per-event';
  durationMs: number;
  warmupMs: number;
}

export interface FloorResult {
  rate: number;
  mode: FloorOptions['mode'];
  posted: number;
  /** Post (created in the fake) → its id read from the pipeline's SSE stream, ms. */
  floor: Summary & { missed: number };
  floorCpu: { pct: number; msPerPost: number };
  bareBullmq: Summary & { missed: number };
  p99Ratio: number;
}

/** The floor pipeline at `rate`, then bare BullMQ at the same rate, on the world's Redis. */
export async function measureFloor(world: BenchWorld, build: ChildBuild, opts: FloorOptions): Promise<FloorResult> {
  const script = childScript(build, 'bench/experiments/floor-pipeline');
  const floor = await BenchChild.start<Extract<ChildMessage, { type: 'ready' }>>(script.script, {
    compiled: script.compiled,
    env: {
      ...script.env,
      FAKE_URL: world.fake.url,
      TOKEN: world.fake.botToken,
      REDIS_URL: world.redisUrl,
      BENCH_PREFIX: world.newPrefix('floor'),
      FLOOR_MODE: opts.mode,
    },
  });
  let made: Awaited<ReturnType<BenchWorld['fake']['postAtRate']>>;
  let got: Map<string, number>;
  let before: BridgeStats, after: BridgeStats;
  try {
    got = await readEvents(floor.ready.url);
    await sleep(300);
    const warm = await world.fake.postAtRate(opts.rate, opts.warmupMs, 'warm-up');
    await until('warm-up posts through the floor pipeline', () => warm.posts.every(([id]) => got.has(id)), 30_000);
    await sleep(200);
    before = await floor.stats();
    made = await world.fake.postAtRate(opts.rate, opts.durationMs, 'bench post');
    await until('every post through', () => made.posts.every(([id]) => got.has(id)), 30_000).catch(() => undefined);
    after = await floor.stats();
  } finally {
    await floor.stop();
  }
  const lat = made.posts.flatMap(([id, , at]) => (got.has(id) ? [got.get(id)! - at] : []));
  const pipeline = { ...summarize(lat), missed: made.posts.length - lat.length };

  const baseline = await startBaseline(world, build, world.newPrefix('floor-base'), { connection: world.connect() });
  try {
    const base = await baselineLatency(baseline, {
      rate: opts.rate,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
    });
    return {
      rate: opts.rate,
      mode: opts.mode,
      posted: made.posts.length,
      floor: pipeline,
      floorCpu: cpuShare(before, after, made.posts.length),
      bareBullmq: base.processed,
      p99Ratio: Math.round((pipeline.p99 / base.processed.p99) * 100) / 100,
    };
  } finally {
    await baseline.close();
  }
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--rate <n>', 'posts per second', positive, 1000)
    .addOption(
      new Option('--mode <mode>', 'one add at a time (as the ingest) or one per event (as the baseline)')
        .choices(['batch', 'per-event'])
        .default('batch'),
    )
    .option('--duration <ms>', 'measured window', positive, 20_000)
    .option('--warmup <ms>', 'unmeasured posting before it', positive, 5000)
    .parse()
    .opts<{ rate: number; mode: FloorOptions['mode']; duration: number; warmup: number }>();
  const build = buildChildren();
  const world = await startWorld(build);
  try {
    const result = await measureFloor(world, build, {
      rate: opts.rate,
      mode: opts.mode,
      durationMs: opts.duration,
      warmupMs: opts.warmup,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await world.close();
    build.remove();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
