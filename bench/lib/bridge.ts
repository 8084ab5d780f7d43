/** Starting the bridge under test as a child process (bench/bridge/main.ts). */
import { join } from 'node:path';
import type { ChildMessage } from '../bridge/protocol';
import { BenchChild } from './child';
import { bridgeEnv, type BenchWorld } from './env';

export type BridgeReady = Extract<ChildMessage, { type: 'ready' }>;
export type BridgeChild = BenchChild<BridgeReady>;

export interface BridgeStartOptions {
  /** Extra config (real keys only). */
  env?: Record<string, string>;
  /** Directory for a CPU profile of the bridge (`node --cpu-prof`). */
  cpuProfDir?: string;
}

export async function startBridge(world: BenchWorld, prefix: string, opts: BridgeStartOptions = {}) {
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [];
  return BenchChild.start<BridgeReady>(join(__dirname, '..', 'bridge', 'main.ts'), {
    env: bridgeEnv(world, prefix, opts.env),
    nodeArgs,
    readyTimeoutMs: 60_000,
  });
}
