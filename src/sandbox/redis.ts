/**
 * The sandbox's Redis: REDIS_URL when it is set and answers; otherwise a
 * private redis-server from PATH on a free port (no persistence, its own
 * temporary directory); otherwise the default redis://127.0.0.1:6379 if
 * something answers there; otherwise a clear message on how to get one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../cli/errors';
import { shortLivedRedis } from '../install/common';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const REDIS_HINT =
  'the sandbox needs Redis 6.2 or newer: install redis-server so it is on PATH (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), or start one (e.g. docker run -d -p 6379:6379 redis:7) and set REDIS_URL=redis://127.0.0.1:6379';

export interface SandboxRedis {
  url: string;
  /** How it was found, for the start-up note. */
  origin: 'REDIS_URL' | 'private redis-server' | 'default URL';
  /** The pid of the private redis-server, when the sandbox started one. */
  pid?: number;
  stop(): Promise<void>;
}

/** True when a Redis at `url` answers PING within about a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  let redis;
  try {
    redis = shortLivedRedis(url);
  } catch {
    return false;
  }
  const timer = setTimeout(() => redis.disconnect(), 1500);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

/**
 * Starts redis-server in a process group of its own, so a Ctrl-C in the
 * terminal reaches only the sandbox, which then stops Redis last (after the
 * bridge no longer needs it). If the sandbox dies without cleaning up, an
 * exit hook still kills it.
 */
export async function startPrivateRedis(): Promise<SandboxRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mmb-sandbox-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const proc = spawn('redis-server', args, { stdio: 'ignore', detached: true });
  const killOnExit = () => {
    if (!exited(proc)) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    if (!exited(proc)) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    }
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !exited(proc)) {
    if (await redisAnswers(url)) return { url, origin: 'private redis-server', pid: proc.pid, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new CliError(`a private redis-server on port ${port} did not start; ${REDIS_HINT}`);
}

export type RedisLookup = { hasRedisServer: () => boolean; defaultUrl: string };

export async function findRedis(
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
  lookup: RedisLookup = { hasRedisServer, defaultUrl: DEFAULT_REDIS_URL },
): Promise<SandboxRedis> {
  const given = env.REDIS_URL;
  const nothing = async () => {};
  if (given) {
    if (await redisAnswers(given)) return { url: given, origin: 'REDIS_URL', stop: nothing };
    note(`REDIS_URL (${redactUrl(given)}) does not answer; trying a private redis-server instead`);
  }
  if (lookup.hasRedisServer()) return startPrivateRedis();
  if (given !== lookup.defaultUrl && (await redisAnswers(lookup.defaultUrl))) {
    return { url: lookup.defaultUrl, origin: 'default URL', stop: nothing };
  }
  throw new CliError(REDIS_HINT);
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
