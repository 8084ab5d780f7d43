/**
 * Scenario 4 — tool overhead: `read_channel` through MCP (an SDK client →
 * the bridge's process → Client4 → the fake) against the same Client4 call
 * (`getPosts(channel, 0, 30)`, what read_channel makes) on the same resilient
 * client the bridge uses, made from a process of its own
 * (bench/direct/client.ts) as an agent calling Mattermost would. Calls
 * alternate, so drift in the machine's load hits both alike. (Earlier runs,
 * with the fake in the bench process, also timed the call from there:
 * `directInProcess`, a call that never left the process.)
 *
 * Then two MCP `ping`s alternate: one through the same SDK client and
 * one through the minimal client (node:http, no SDK). A ping has no tool and
 * no Mattermost call behind it, so the first is the floor under any tool's
 * overhead with that client on this machine, and the gap between the two is
 * the SDK client's own share of every call.
 */
import type { BenchWorld } from '../lib/env';
import { BENCH_KEY } from '../lib/env';
import type { BridgeChild } from '../lib/bridge';
import { nowMs } from '../lib/clock';
import { connectClient } from '../lib/mcp';
import { LightMcpSession } from '../lib/light-mcp';
import { BenchChild } from '../lib/child';
import { childScript, type ChildBuild } from '../lib/build';
import type { ChildMessage } from '../bridge/protocol';
import { summarize, type Summary } from '../lib/stats';
import { redisKeys } from '../../src/redis/keys';

export interface ToolOverheadResult {
  calls: number;
  mcp: Summary;
  /** The Client4 call from a process of its own. */
  direct: Summary;
  /** mcp - direct, per percentile. */
  overhead: { p50: number; p95: number; p99: number };
  /** Earlier runs: the Client4 call from the bench process when the fake Mattermost ran there. */
  directInProcess?: Summary;
  /** An MCP ping through the same SDK client and session (no tool, no Mattermost call). */
  ping?: Summary;
  /** An MCP ping through the minimal client (bench/lib/light-mcp.ts): the ping without the SDK's side. */
  pingLight?: Summary;
  /** Earlier runs: mcp - directInProcess, per percentile. */
  overheadInProcess?: { p50: number; p95: number; p99: number };
  /**
   * The bridge process's CPU per MCP call (user + system, ms), its own Client4 call included: less
   * sensitive than the latencies to what else the machine runs (the direct calls do not touch it).
   */
  bridgeCpuMsPerCall: number;
  /** Raw MCP latencies (ms), for the polling simulation; not written to the results file. */
  mcpSamples: number[];
}

const LIMIT = 30;

/** `rounds` rounds of every call, each round starting one place later, so that none always follows the same one. */
async function rotate(rounds: number, calls: (() => Promise<unknown>)[]): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < calls.length; k++) await calls[(i + k) % calls.length]();
  }
}

export async function toolOverhead(
  world: BenchWorld,
  build: ChildBuild,
  bridge: BridgeChild,
  prefix: string,
  opts: { calls: number; warmup?: number },
): Promise<ToolOverheadResult> {
  const child = childScript(build, 'bench/direct/client');
  const caller = await BenchChild.start(child.script, {
    compiled: child.compiled,
    env: {
      ...child.env,
      MATTERMOST_URL: world.fake.url,
      MM_TOKEN: world.fake.botToken,
      REDIS_URL: world.redisUrl,
      BENCH_BUDGET_PREFIX: redisKeys(prefix).rateLimit,
    },
  });
  const agent = await connectClient(bridge.ready.url, BENCH_KEY, 'bench-tools');
  const light = new LightMcpSession(bridge.ready.url, BENCH_KEY);
  await light.connect('bench-tools-light');
  const channel = world.readChannel.id;
  const viaMcp = async () => {
    const t = nowMs();
    const res = await agent.client.callTool({ name: 'read_channel', arguments: { channel, limit: LIMIT } });
    const ms = nowMs() - t;
    if (res.isError) throw new Error(`read_channel failed: ${JSON.stringify(res.content).slice(0, 300)}`);
    return ms;
  };
  const timed = (call: () => Promise<unknown>) => async () => {
    const t = nowMs();
    await call();
    return nowMs() - t;
  };
  const viaPing = timed(() => agent.client.ping());
  const viaLightPing = timed(() => light.ping());
  const viaChild = async () => {
    const r = await caller.request<Extract<ChildMessage, { type: 'got-posts' | 'error' }>>({
      type: 'get-posts',
      id: 0,
      channel,
      limit: LIMIT,
    });
    if (r.type === 'error') throw new Error(`direct getPosts failed: ${r.message}`);
    if (!r.posts) throw new Error('getPosts returned no posts');
    return r.ms;
  };
  for (let i = 0; i < (opts.warmup ?? 50); i++) {
    await viaMcp();
    await viaChild();
    await viaPing();
    await viaLightPing();
  }
  const mcp: number[] = [];
  const d: number[] = [];
  const pings: number[] = [];
  const lightPings: number[] = [];
  const before = await bridge.stats();
  await rotate(opts.calls, [() => viaMcp().then((ms) => mcp.push(ms)), () => viaChild().then((ms) => d.push(ms))]);
  const after = await bridge.stats();
  // the pings after the bridge's CPU was read, so that it stays per read_channel call
  await rotate(opts.calls, [
    () => viaPing().then((ms) => pings.push(ms)),
    () => viaLightPing().then((ms) => lightPings.push(ms)),
  ]);
  await agent.close();
  await light.close();
  await caller.stop();
  const cpuUs = after.cpuUserUs + after.cpuSystemUs - (before.cpuUserUs + before.cpuSystemUs);
  const m = summarize(mcp);
  const c = summarize(d);
  const diff = (a: number, b: number) => Math.round((a - b) * 1000) / 1000;
  return {
    calls: opts.calls,
    mcp: m,
    direct: c,
    overhead: { p50: diff(m.p50, c.p50), p95: diff(m.p95, c.p95), p99: diff(m.p99, c.p99) },
    ping: summarize(pings),
    pingLight: summarize(lightPings),
    bridgeCpuMsPerCall: Math.round(cpuUs / opts.calls) / 1000,
    mcpSamples: mcp,
  };
}
