/**
 * Child processes of the bench (the bridge, the bare BullMQ worker): forked
 * with tsx as a loader so they run the TypeScript sources, talking over IPC.
 * Their stderr goes to a log file, whose tail is shown when one fails.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BridgeStats, ChildMessage, ParentMessage } from '../bridge/protocol';

export interface ChildOptions {
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** Run compiled JavaScript without the tsx loader (its node_modules found through NODE_PATH). */
  compiled?: boolean;
}

export class BenchChild<Ready extends ChildMessage = ChildMessage> {
  private nextId = 1;
  private readonly pending = new Map<number, (m: ChildMessage) => void>();
  private exited: Promise<number | null>;

  private constructor(
    readonly proc: ChildProcess,
    readonly logFile: string,
    readonly ready: Ready,
  ) {
    proc.on('message', (m: ChildMessage) => {
      const id = (m as { id?: number }).id;
      if (id !== undefined) {
        this.pending.get(id)?.(m);
        this.pending.delete(id);
      }
    });
    this.exited = new Promise((resolve) => {
      if (proc.exitCode !== null) resolve(proc.exitCode);
      else proc.once('exit', (code) => resolve(code));
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  static async start<R extends ChildMessage>(script: string, opts: ChildOptions): Promise<BenchChild<R>> {
    const dir = mkdtempSync(join(tmpdir(), 'mmb-bench-'));
    const logFile = join(dir, 'child.log');
    const fd = openSync(logFile, 'a');
    const proc = fork(script, [], {
      // tsx by absolute path: the loader is found whatever the working directory.
      execArgv: [
        ...(opts.compiled ? [] : ['--import', pathToFileURL(require.resolve('tsx')).href]),
        ...(opts.nodeArgs ?? []),
      ],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    const tail = () => readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    const ready = await new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${script} not ready after ${opts.readyTimeoutMs ?? 60_000} ms\n${tail()}`));
      }, opts.readyTimeoutMs ?? 60_000);
      proc.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m as R);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${script} failed: ${m.message}\n${tail()}`));
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code} before it was ready\n${tail()}`));
      });
    });
    return new BenchChild<R>(proc, logFile, ready);
  }

  request<T extends ChildMessage>(msg: ParentMessage & { id?: number }, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${msg.type} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      this.proc.send({ ...msg, id });
    });
  }

  async stats(): Promise<BridgeStats> {
    const m = await this.request<Extract<ChildMessage, { type: 'stats' }>>({ type: 'stats', id: 0 });
    return m.stats;
  }

  logTail(lines = 30): string {
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }

  /** Asks it to stop, then kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (this.proc.connected) this.proc.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
