/**
 * Scenario 4 — tool overhead: `read_channel` through MCP (an SDK client →
 * the bridge's process → Client4 → the fake) against the same Client4 call
 * (`getPosts(channel, 0, 30)`, what read_channel makes) from this process on
 * the same resilient client the bridge uses. Calls alternate, so drift in the
 * machine's load hits both alike.
 */
import type { BenchWorld } from '../lib/env';
import { BENCH_KEY } from '../lib/env';
import type { BridgeChild } from '../lib/bridge';
import { nowMs } from '../lib/clock';
import { connectClient } from '../lib/mcp';
import { summarize, type Summary } from '../lib/stats';
import { createMattermostClient } from '../../src/mattermost/client';
import { redisKeys } from '../../src/redis/keys';

export interface ToolOverheadResult {
  calls: number;
  mcp: Summary;
  direct: Summary;
  /** mcp - direct, per percentile. */
  overhead: { p50: number; p95: number; p99: number };
  /**
   * The bridge process's CPU per MCP call (user + system, ms), its own Client4 call included: less
   * sensitive than the latencies to what else the machine runs (the direct calls do not touch it).
   */
  bridgeCpuMsPerCall: number;
  /** Raw MCP latencies (ms), for the polling simulation; not written to the results file. */
  mcpSamples: number[];
}

const LIMIT = 30;

export async function toolOverhead(
  world: BenchWorld,
  bridge: BridgeChild,
  prefix: string,
  opts: { calls: number; warmup?: number },
): Promise<ToolOverheadResult> {
  const direct = createMattermostClient({
    url: world.fake.url,
    token: world.fake.token('bridge-bot'),
    timeoutMs: 15_000,
    ratePerSec: 100_000,
    redis: world.connect(),
    budgetKeyPrefix: redisKeys(prefix).rateLimit,
  });
  const agent = await connectClient(bridge.ready.url, BENCH_KEY, 'bench-tools');
  const channel = world.readChannel.id;
  const viaMcp = async () => {
    const t = nowMs();
    const res = await agent.client.callTool({ name: 'read_channel', arguments: { channel, limit: LIMIT } });
    const ms = nowMs() - t;
    if (res.isError) throw new Error(`read_channel failed: ${JSON.stringify(res.content).slice(0, 300)}`);
    return ms;
  };
  const viaClient4 = async () => {
    const t = nowMs();
    const list = await direct.getPosts(channel, 0, LIMIT);
    const ms = nowMs() - t;
    if (!list.order.length) throw new Error('getPosts returned no posts');
    return ms;
  };
  for (let i = 0; i < (opts.warmup ?? 50); i++) {
    await viaMcp();
    await viaClient4();
  }
  const mcp: number[] = [];
  const d: number[] = [];
  const before = await bridge.stats();
  for (let i = 0; i < opts.calls; i++) {
    if (i % 2 === 0) {
      mcp.push(await viaMcp());
      d.push(await viaClient4());
    } else {
      d.push(await viaClient4());
      mcp.push(await viaMcp());
    }
  }
  const after = await bridge.stats();
  await agent.close();
  const cpuUs = after.cpuUserUs + after.cpuSystemUs - (before.cpuUserUs + before.cpuSystemUs);
  const m = summarize(mcp);
  const c = summarize(d);
  const diff = (a: number, b: number) => Math.round((a - b) * 1000) / 1000;
  return {
    calls: opts.calls,
    mcp: m,
    direct: c,
    overhead: { p50: diff(m.p50, c.p50), p95: diff(m.p95, c.p95), p99: diff(m.p99, c.p99) },
    bridgeCpuMsPerCall: Math.round(cpuUs / opts.calls) / 1000,
    mcpSamples: mcp,
  };
}
