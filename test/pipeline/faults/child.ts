/** Spawning and killing bridge child processes (test/pipeline/faults/bridge-process.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { PipelineOptions } from '../ingest/pipeline';

const SCRIPT = join(__dirname, 'bridge-process.ts');

export interface BridgeChild {
  proc: ChildProcess;
  pid: number;
  /** stderr so far (logs at PIPELINE_LOG_LEVEL, default warn). */
  stderr(): string;
  /** SIGKILL: no clean-up of any kind. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  exited(): boolean;
}

const children = new Set<BridgeChild>();

export async function spawnBridge(options: PipelineOptions, timeoutMs = 20_000): Promise<BridgeChild> {
  const proc = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: join(__dirname, '..', '..', '..'),
    env: { ...process.env, PIPELINE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const isExited = () => proc.exitCode !== null || proc.signalCode !== null;
  const signal = async (sig: NodeJS.Signals) => {
    if (!isExited()) proc.kill(sig);
    await exit;
  };
  const child: BridgeChild = {
    proc,
    pid: proc.pid!,
    stderr: () => err,
    kill: () => signal('SIGKILL'),
    stop: async () => {
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await signal('SIGTERM');
      clearTimeout(t);
    },
    exited: isExited,
  };
  children.add(child);
  void exit.then(() => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge child not ready in ${timeoutMs} ms: ${err}`)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready":true')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`bridge child exited before it was ready: ${err}`));
    });
  });
  return child;
}

/** Kills every child still running (afterAll safety net). */
export async function killAllBridges(): Promise<void> {
  await Promise.all([...children].map((c) => c.kill()));
}
