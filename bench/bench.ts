/**
 * The benchmark run: every scenario on one Redis and one fake Mattermost,
 * bridge and bare-BullMQ baseline side by side, in the same run. `PROFILES`
 * holds the sizes: `full` is what the issue asks for (npm run bench), `quick`
 * for development (--quick), `smoke` for the jest test that keeps this code
 * from rotting.
 */
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startWorld, machineInfo, cpuTicks, type MachineInfo, type BenchWorld } from './lib/env';
import { measureStalls, type StallReport } from './lib/stalls';
import { startBridge, type BridgeChild } from './lib/bridge';
import { startBaseline, type Baseline } from './lib/baseline';
import { buildChildren, SOURCES, type ChildBuild } from './lib/build';
import { nowMs } from './lib/clock';
import { ratio } from './lib/stats';
import {
  bridgeLatency,
  baselineLatency,
  type BridgeLatencyResult,
  type BaselineLatencyResult,
} from './scenarios/latency';
import { bridgeThroughput, baselineThroughput, type ThroughputResult } from './scenarios/throughput';
import { fanout, type FanoutResult } from './scenarios/fanout';
import { toolOverhead, type ToolOverheadResult } from './scenarios/tools';
import { simulatePolling, type PollingResult } from './scenarios/polling';
import { CONFIG_KEYS } from '../src/config/schema';

export const SCENARIOS = ['latency', 'throughput', 'fanout', 'tools', 'polling'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Profile {
  name: 'full' | 'quick' | 'smoke';
  rates: number[];
  latencyMs: number;
  /** Posts (jobs) at each rate before its measured window, not measured: the same for bridge and baseline. */
  warmupMs: number;
  burst: number;
  fanout: { sessions: number; rate: number; durationMs: number };
  toolCalls: number;
  /**
   * Rounds of every tool-scenario call before the measured ones, not measured: the bridge and the
   * clients reach their steady state only after about 2,000 calls (JIT tiers; item 18 of the notes).
   */
  toolWarmupCalls: number;
  pollIntervalsMs: number[];
  /** How long the machine stall probe spins, at the start and at the end of a run (bench/lib/stalls.ts). */
  stallProbeMs: number;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  full: {
    name: 'full',
    rates: [500, 1000, 2000],
    latencyMs: 20_000,
    warmupMs: 5000,
    burst: 50_000,
    fanout: { sessions: 1000, rate: 100, durationMs: 30_000 },
    toolCalls: 1000,
    toolWarmupCalls: 2000,
    pollIntervalsMs: [30_000, 5_000],
    stallProbeMs: 2000,
  },
  quick: {
    name: 'quick',
    rates: [500, 1000, 2000],
    latencyMs: 3000,
    warmupMs: 1000,
    burst: 5000,
    fanout: { sessions: 100, rate: 100, durationMs: 5000 },
    toolCalls: 100,
    toolWarmupCalls: 200,
    pollIntervalsMs: [30_000, 5_000],
    stallProbeMs: 1000,
  },
  smoke: {
    name: 'smoke',
    rates: [100],
    latencyMs: 1000,
    warmupMs: 0,
    burst: 400,
    fanout: { sessions: 6, rate: 20, durationMs: 1000 },
    toolCalls: 10,
    toolWarmupCalls: 5,
    pollIntervalsMs: [5_000],
    stallProbeMs: 200,
  },
};

/** The bridge's partitions: BRIDGE_PARTITIONS's default unless BENCH_PARTITIONS says otherwise. */
export const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? CONFIG_KEYS.BRIDGE_PARTITIONS.doc.default);
/** Concurrent no-op workers of the bare-BullMQ drain (its best on this machine, whatever the bridge's partitions). */
export const BASELINE_DRAIN_CONCURRENCY = 8;

export interface BenchResults {
  date: string;
  /** The code measured: `git describe --always --dirty` of the checkout, when it is one. */
  commit?: string;
  profile: Profile['name'];
  /** Set when the run was narrowed (--only, --rates): what it left out or changed. */
  partial?: { only?: Scenario[]; rates?: number[] };
  /**
   * stealPct: CPU time the hypervisor took from this machine during the run, % of all CPU time;
   * stalls: the machine's own gaps (busy threads, one per core) before and after the scenarios.
   */
  machine: MachineInfo & {
    loadAvgEnd: number[];
    stealPct?: number;
    stalls?: { start: StallReport; end?: StallReport };
  };
  wallMs: number;
  settings: Record<string, string | number>;
  latency?: { rate: number; bridge: BridgeLatencyResult; baseline: BaselineLatencyResult }[];
  throughput?: { bridge: ThroughputResult; baseline: ThroughputResult; ratio: number };
  fanout?: FanoutResult;
  tools?: Omit<ToolOverheadResult, 'mcpSamples'>;
  polling?: PollingResult[];
  targets: { name: string; target: string; value: string; ok: boolean }[];
}

export interface RunOptions {
  profile: Profile;
  only?: Scenario[];
  /** Write CPU profiles of the bridge processes here: whole processes, and the measured window of each scenario. */
  cpuProfDir?: string;
  /** Run the child processes from TypeScript through tsx instead of compiling them first (faster start, more memory). */
  tsx?: boolean;
  log?: (line: string) => void;
}

/** What a run has started and must stop, newest last (also used by an interrupted run). */
const running: (() => Promise<void>)[] = [];

/** Stops whatever a run left running (child processes, Redis, the fake): for SIGINT/SIGTERM. */
export async function abortBench(): Promise<void> {
  for (const stop of running.splice(0).reverse()) await stop().catch(() => undefined);
}

export async function runBench(opts: RunOptions): Promise<BenchResults> {
  const p = opts.profile;
  const log = opts.log ?? (() => undefined);
  const want = (s: Scenario) => !opts.only || opts.only.includes(s);
  const t0 = nowMs();
  const ticks0 = cpuTicks();
  if (!opts.tsx) log('compiling the child processes (tsc)…');
  const build = opts.tsx ? SOURCES : buildChildren();
  running.push(async () => build.remove());
  const world = await startWorld(build);
  running.push(() => world.close());
  const stallsStart = await measureStalls(p.stallProbeMs);
  log(
    `machine stalls: ${stallsStart.lostPct} % of the time lost in gaps above ${stallsStart.gapMs} ms, longest ${stallsStart.maxMs} ms`,
  );
  const results: BenchResults = {
    date: new Date().toISOString(),
    commit: gitDescribe(),
    profile: p.name,
    machine: { ...(await machineInfo(world.redis)), loadAvgEnd: [], stalls: { start: stallsStart } },
    wallMs: 0,
    settings: {
      partitions: PARTITIONS,
      benchChannels: world.channels.length,
      baselineLatencyConcurrency: 1,
      latencyWarmupMs: p.warmupMs,
      toolWarmupCalls: p.toolWarmupCalls,
      baselineDrainConcurrency: BASELINE_DRAIN_CONCURRENCY,
      children: opts.tsx ? 'TypeScript through tsx' : 'compiled JavaScript (tsc)',
      BRIDGE_RATE_LIMIT: 1_000_000,
      BRIDGE_MM_RATE: 100_000,
    },
    targets: [],
  };
  if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
  const cleanups = running;
  try {
    let toolSamples: number[] = [];
    if (want('latency') || want('throughput') || want('tools') || want('polling')) {
      const prefix = world.newPrefix('bridge');
      log('starting the bridge (child process)…');
      const bridge = await startBridge(world, build, prefix, {
        env: { BRIDGE_PARTITIONS: String(PARTITIONS) },
        cpuProfDir: opts.cpuProfDir && join(opts.cpuProfDir, 'bridge'),
      });
      cleanups.push(() => bridge.stop());
      // tools first: the fake's getPosts scans every post it holds, and the latency runs add tens of thousands
      if (want('tools') || want('polling')) {
        log(`tool overhead: ${p.toolCalls} read_channel calls via MCP and direct…`);
        const r = await toolOverhead(world, build, bridge, prefix, {
          calls: p.toolCalls,
          warmup: p.toolWarmupCalls,
        });
        toolSamples = r.mcpSamples;
        const { mcpSamples: _drop, ...kept } = r;
        if (want('tools')) results.tools = kept;
        log(
          `  MCP p50 ${r.mcp.p50} ms, direct p50 ${r.direct.p50} ms: overhead p50 ${r.overhead.p50} ms, p99 ${r.overhead.p99} ms; MCP ping p50 ${r.ping?.p50} ms (SDK), ${r.pingLight?.p50} ms (minimal client); bridge CPU ${r.bridgeCpuMsPerCall} ms per call`,
        );
      }
      if (want('latency'))
        results.latency = await latencyScenario(world, build, bridge, prefix, p, opts.cpuProfDir, log, cleanups);
      if (want('throughput')) results.throughput = await throughputScenario(world, build, prefix, p, log, cleanups);
      await bridge.stop();
      cleanups.pop();
    }
    if (want('polling')) {
      results.polling = p.pollIntervalsMs.map((ms) => simulatePolling(toolSamples, ms));
    }
    if (want('fanout')) {
      const prefix = world.newPrefix('fanout');
      log(`fan-out: ${p.fanout.sessions} sessions, ${p.fanout.rate} posts/s for ${p.fanout.durationMs / 1000} s…`);
      const bridge = await startBridge(world, build, prefix, {
        env: { BRIDGE_PARTITIONS: String(PARTITIONS) },
        cpuProfDir: opts.cpuProfDir && join(opts.cpuProfDir, 'fanout'),
      });
      cleanups.push(() => bridge.stop());
      results.fanout = await fanout(world, bridge, prefix, {
        ...p.fanout,
        profileTo: opts.cpuProfDir && join(opts.cpuProfDir, 'fanout-window.cpuprofile'),
      });
      const f = results.fanout;
      log(
        `  delivered ${f.delivered}/${f.expected}, p50 ${f.latency.p50} ms, p99 ${f.latency.p99} ms, RSS peak ${f.bridge.rssPeakMB} MB | CPU % bridge ${f.bridge.cpuPct} driver ${f.driverCpuPct} | loop delay p99/max bridge ${f.bridge.loopDelayMs.p99}/${f.bridge.loopDelayMs.max} driver ${f.driverLoopDelayMs.p99}/${f.driverLoopDelayMs.max} ms`,
      );
      await bridge.stop();
      cleanups.pop();
    }
  } finally {
    await abortBench();
  }
  results.machine.stalls!.end = await measureStalls(p.stallProbeMs);
  results.wallMs = Math.round(nowMs() - t0);
  results.machine.loadAvgEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const ticks1 = cpuTicks();
  if (ticks0 && ticks1 && ticks1.total > ticks0.total) {
    results.machine.stealPct = Math.round(((ticks1.steal - ticks0.steal) / (ticks1.total - ticks0.total)) * 1000) / 10;
  }
  results.targets = checkTargets(results);
  return results;
}

async function latencyScenario(
  world: BenchWorld,
  build: ChildBuild,
  bridge: BridgeChild,
  prefix: string,
  p: Profile,
  profDir: string | undefined,
  log: (l: string) => void,
  cleanups: (() => Promise<void>)[],
): Promise<NonNullable<BenchResults['latency']>> {
  const baseline: Baseline = await startBaseline(world, build, world.newPrefix('base-lat'), {
    connection: world.connect(),
    concurrency: 1,
  });
  cleanups.push(() => baseline.close());
  const out: NonNullable<BenchResults['latency']> = [];
  for (const rate of p.rates) {
    log(`latency at ${rate}/s for ${p.latencyMs / 1000} s after ${p.warmupMs / 1000} s of warm-up: bridge…`);
    const b = await bridgeLatency(world, bridge, prefix, {
      rate,
      durationMs: p.latencyMs,
      warmupMs: p.warmupMs,
      profileTo: profDir && join(profDir, `latency-${rate}.cpuprofile`),
    });
    log(
      `  log p50 ${b.inLog.p50} p99 ${b.inLog.p99} | notification p50 ${b.notification.p50} p99 ${b.notification.p99} | wait_for_events p50 ${b.waitForEvents.p50} p99 ${b.waitForEvents.p99} | CPU % bridge ${b.bridgeCpu.pct} (${b.bridgeCpu.msPerPost} ms/post) clients ${b.driverCpuPct} fake ${b.fakeCpuPct} redis ${b.redisCpuPct} | bridge loop delay p50 ${b.bridgeLoopDelayMs.p50} p99 ${b.bridgeLoopDelayMs.p99} ms`,
    );
    log(`latency at ${rate}/s: bare BullMQ…`);
    const base = await baselineLatency(baseline, { rate, durationMs: p.latencyMs, warmupMs: p.warmupMs });
    log(`  add→process p50 ${base.processed.p50} p99 ${base.processed.p99}`);
    out.push({ rate, bridge: b, baseline: base });
  }
  await baseline.close();
  cleanups.pop();
  return out;
}

async function throughputScenario(
  world: BenchWorld,
  build: ChildBuild,
  prefix: string,
  p: Profile,
  log: (l: string) => void,
  cleanups: (() => Promise<void>)[],
): Promise<NonNullable<BenchResults['throughput']>> {
  log(`throughput: burst of ${p.burst} raw events into ingest…`);
  const bridge = await bridgeThroughput(world, prefix, PARTITIONS, { events: p.burst });
  log(`  ${bridge.perSecond} events/s`);
  const baseline = await startBaseline(world, build, world.newPrefix('base-drain'), {
    connection: world.connect(),
    concurrency: BASELINE_DRAIN_CONCURRENCY,
  });
  cleanups.push(() => baseline.close());
  log(`throughput: bare BullMQ addBulk drain of ${p.burst} no-op jobs…`);
  const base = await baselineThroughput(baseline, { events: p.burst });
  log(`  ${base.perSecond} jobs/s`);
  await baseline.close();
  cleanups.pop();
  return { bridge, baseline: base, ratio: ratio(bridge.perSecond, base.perSecond) };
}

/** The targets, each with the measured value (and its ratio to the baseline where there is one). */
export function checkTargets(r: BenchResults): BenchResults['targets'] {
  const t: BenchResults['targets'] = [];
  const at1000 = r.latency?.find((l) => l.rate === 1000);
  if (at1000) {
    const n = at1000.bridge.notification;
    const base = at1000.baseline.processed;
    t.push({ name: 'post → notification p99 at 1,000/s', target: '≤ 15 ms', value: `${n.p99} ms`, ok: n.p99 <= 15 });
    t.push({
      name: 'post → notification p99 / bare BullMQ p99 at 1,000/s',
      target: '≤ 3×',
      value: `${ratio(n.p99, base.p99)}× (${n.p99} / ${base.p99} ms)`,
      ok: n.p99 <= 3 * base.p99,
    });
    t.push({ name: 'post → notification p50 at 1,000/s', target: '≤ 3 ms', value: `${n.p50} ms`, ok: n.p50 <= 3 });
  }
  if (r.throughput) {
    const { bridge, baseline } = r.throughput;
    t.push({
      name: 'sustained ingest → log',
      target: '≥ 5,000 events/s',
      value: `${bridge.perSecond} events/s`,
      ok: bridge.perSecond >= 5000,
    });
    t.push({
      name: 'ingest → log / bare BullMQ drain rate',
      target: '≥ 50 %',
      value: `${Math.round(r.throughput.ratio * 100)} % (${bridge.perSecond} / ${baseline.perSecond} per s)`,
      ok: r.throughput.ratio >= 0.5,
    });
  }
  if (r.fanout) {
    const f = r.fanout;
    t.push({
      name: `${f.sessions} sessions: delivered`,
      target: '100 %',
      value: `${f.deliveredPct} % (${f.delivered} / ${f.expected})`,
      ok: f.delivered === f.expected,
    });
    t.push({
      name: `${f.sessions} sessions: delivery p99`,
      target: '≤ 50 ms',
      value: `${f.latency.p99} ms`,
      ok: f.latency.p99 <= 50,
    });
    t.push({
      name: `${f.sessions} sessions: bridge RSS`,
      target: '≤ 400 MB',
      value: `${f.bridge.rssPeakMB} MB`,
      ok: f.bridge.rssPeakMB <= 400,
    });
  }
  if (r.tools) {
    t.push({
      name: 'read_channel overhead p50 (MCP − direct)',
      target: '≤ 2 ms',
      value: `${r.tools.overhead.p50} ms`,
      ok: r.tools.overhead.p50 <= 2,
    });
  }
  return t;
}

function gitDescribe(): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined; // not a git checkout
  }
}
