/**
 * A private redis-server for one test run or one fault test: start, stop
 * (SIGTERM), kill (SIGKILL) and restart on the same port, with or without
 * appendonly persistence in its own temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { freePort, hasRedisServer } from '../../src/sandbox/redis';

export const INSTALL_HINT =
  'Redis is needed for the tests: install it (Debian: apt-get install redis-server) so redis-server is on PATH, or set REDIS_URL to a running Redis 6.2+';

export { hasRedisServer };

/** Resolves true when a Redis at `url` answers PING within `timeoutMs`. */
export function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const sock = new Socket();
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.connect(Number(u.port || 6379), u.hostname, () => {
      const auth = u.password ? `AUTH ${decodeURIComponent(u.password)}\r\n` : '';
      sock.write(`${auth}PING\r\n`);
    });
    sock.on('data', (d) => done(d.toString().includes('PONG')));
  });
}

/**
 * Private servers still running: killed when this process exits, even after an uncaught error. The
 * exit hook is added on the first start only: jest loads this module once per test file.
 */
const running = new Set<ChildProcess>();
let exitHook = false;
function track(proc: ChildProcess): void {
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

export class PrivateRedis {
  private proc?: ChildProcess;
  readonly dir: string;

  private constructor(
    readonly port: number,
    readonly appendonly: boolean,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'mmb-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  static async start(opts: { appendonly?: boolean; port?: number } = {}): Promise<PrivateRedis> {
    if (!hasRedisServer()) throw new Error(INSTALL_HINT);
    const r = new PrivateRedis(opts.port ?? (await freePort()), opts.appendonly ?? false);
    await r.launch();
    return r;
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir];
    args.push('--appendonly', this.appendonly ? 'yes' : 'no');
    if (this.appendonly) args.push('--appendfsync', 'always');
    this.proc = spawn('redis-server', args, { stdio: 'ignore' });
    track(this.proc);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await pingRedis(this.url, 200)) return;
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`private redis-server on port ${this.port} did not start`);
  }

  private async waitExit(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }

  /** Graceful shutdown (SIGTERM). */
  async stop(): Promise<void> {
    await this.waitExit('SIGTERM');
  }

  /** Crash (SIGKILL): only what appendonly had written survives. */
  async kill(): Promise<void> {
    await this.waitExit('SIGKILL');
  }

  /** Starts it again on the same port and data directory. */
  async restart(opts: { kill?: boolean } = {}): Promise<void> {
    await (opts.kill ? this.kill() : this.stop());
    await this.launch();
  }

  /** Stops it and removes its data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
