/** Starting the bridge under test as a child process (bench/bridge/main.ts). */
import type { ChildMessage } from '../bridge/protocol';
import { childScript, type ChildBuild } from './build';
import { BenchChild } from './child';
import { bridgeEnv, type BenchWorld } from './env';

export type BridgeReady = Extract<ChildMessage, { type: 'ready' }>;
export type BridgeChild = BenchChild<BridgeReady>;

export interface BridgeStartOptions {
  /** Extra config (real keys only). */
  env?: Record<string, string>;
  /** Directory for a CPU profile of the bridge (`node --cpu-prof`). */
  cpuProfDir?: string;
  nodeArgs?: string[];
}

export async function startBridge(world: BenchWorld, build: ChildBuild, prefix: string, opts: BridgeStartOptions = {}) {
  const nodeArgs = [
    ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
    ...(opts.nodeArgs ?? []),
    // investigations: e.g. BENCH_BRIDGE_NODE_ARGS="--require /tmp/probe.js"
    ...(process.env.BENCH_BRIDGE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
  ];
  const child = childScript(build, 'bench/bridge/main');
  // investigations: e.g. BENCH_BRIDGE_ENV="BRIDGE_PARTITIONS=1 LOG_LEVEL=info"
  const investigate = Object.fromEntries(
    (process.env.BENCH_BRIDGE_ENV?.split(' ').filter(Boolean) ?? []).map((kv) => [
      kv.slice(0, kv.indexOf('=')),
      kv.slice(kv.indexOf('=') + 1),
    ]),
  );
  return BenchChild.start<BridgeReady>(child.script, {
    env: { ...bridgeEnv(world, prefix, { ...opts.env, ...investigate }), ...child.env },
    nodeArgs,
    compiled: child.compiled,
    readyTimeoutMs: 60_000,
  });
}
