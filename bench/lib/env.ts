/**
 * The bench's world: a Redis (REDIS_URL, or a private redis-server started
 * for the run), the fake Mattermost in its own process with the bench channels,
 * unique key prefixes per bridge, and clean-up of every prefix at the end
 * (never FLUSHALL).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem, release, platform, loadavg } from 'node:os';
import { join } from 'node:path';
import IORedis, { type Redis } from 'ioredis';
import type { SeededChannel } from '../../test/fake-mattermost/seed';
import { PrivateRedis, hasRedisServer, pingRedis, INSTALL_HINT } from '../../test/helpers/redis-server';
import { cleanupPrefix } from '../../test/helpers/redis';
import type { ChildBuild } from './build';
import { startFake, type BenchFake } from './fake';

export const BENCH_KEY = 'bench-key-0123456789abcdef';
export { BENCH_CHANNELS, READ_CHANNEL } from '../fake/channels';

export interface BenchWorld {
  redisUrl: string;
  /** A control connection (observer reads, counters, clean-up). */
  redis: Redis;
  fake: BenchFake;
  channels: SeededChannel[];
  /** The channel read_channel reads (a fixed page of posts). */
  readChannel: SeededChannel;
  /** A fresh key prefix, remembered for clean-up. */
  newPrefix(label: string): string;
  /** Connections the scenarios open (closed at the end). */
  connect(): Redis;
  close(): Promise<void>;
}

export function connectRedis(url: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null });
}

async function redisForBench(): Promise<{ url: string; own?: PrivateRedis }> {
  const given = process.env.REDIS_URL;
  if (given) {
    if (!(await pingRedis(given))) throw new Error(`REDIS_URL ${given} does not answer PING`);
    return { url: given };
  }
  if (!hasRedisServer()) throw new Error(INSTALL_HINT);
  const own = await PrivateRedis.start();
  return { url: own.url, own };
}

export async function startWorld(build: ChildBuild): Promise<BenchWorld> {
  const { url, own } = await redisForBench();
  const redis = connectRedis(url);
  const fake = await startFake(build);
  const { channels, readChannel } = fake;
  const prefixes: string[] = [];
  const conns: Redis[] = [];
  const run = randomBytes(3).toString('hex');
  return {
    redisUrl: url,
    redis,
    fake,
    channels,
    readChannel,
    newPrefix(label) {
      const p = `mmbbench-${run}-${label}`;
      prefixes.push(p);
      return p;
    },
    connect() {
      const c = connectRedis(url);
      conns.push(c);
      return c;
    },
    async close() {
      for (const c of conns) c.disconnect();
      for (const p of prefixes) await cleanupPrefix(redis, p);
      redis.disconnect();
      await fake.stop();
      await own?.destroy();
    },
  };
}

/** Environment of a bridge child on this world (real config keys only). */
export function bridgeEnv(
  world: BenchWorld,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    MATTERMOST_URL: world.fake.url,
    MATTERMOST_TOKEN: world.fake.botToken,
    REDIS_URL: world.redisUrl,
    BRIDGE_REDIS_PREFIX: prefix,
    BRIDGE_HOST: '127.0.0.1',
    BRIDGE_PORT: '0',
    BRIDGE_API_KEYS: `bench:${BENCH_KEY}:read+write`,
    // The defaults protect a real server (600 requests/min per key, 20 REST calls/s): a
    // benchmark of 1,000 sessions and 1,000 tool calls would measure the limiters instead.
    BRIDGE_RATE_LIMIT: '1000000',
    BRIDGE_MM_RATE: '100000',
    BRIDGE_MAX_SUBSCRIPTIONS: '100',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** CPU seconds the Redis server has used so far (user + system), from INFO cpu. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_sys') + get('used_cpu_user');
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemMB: number;
  node: string;
  os: string;
  redis: string;
  loadAvg: number[];
  /** The kernel's memory monitor (DAMON) when one runs: it samples page accesses every `sampleMs`. */
  damon?: DamonInfo;
}

export interface DamonInfo {
  sampleMs: number;
  /** What its first scheme does to the pages it finds cold (e.g. pageout), if it has one. */
  action?: string;
}

/**
 * A running DAMON monitor from sysfs (`root` for tests), or undefined. Seen on this project's
 * virtual machines sampling every 500 ms: each sample takes a core for about 2 ms, a hiccup that
 * the benchmark's latencies show (docs/benchmarks.md, "How it is measured").
 */
export function damonInfo(root = '/sys/kernel/mm/damon/admin/kdamonds'): DamonInfo | undefined {
  const read = (path: string) => {
    try {
      return readFileSync(join(root, path), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const count = Number(read('nr_kdamonds') ?? 0);
  for (let k = 0; k < count; k++) {
    if (read(`${k}/state`) !== 'on') continue;
    const sampleUs = Number(read(`${k}/contexts/0/monitoring_attrs/intervals/sample_us`));
    if (!Number.isFinite(sampleUs) || sampleUs <= 0) continue;
    const action = read(`${k}/contexts/0/schemes/0/action`);
    return { sampleMs: sampleUs / 1000, ...(action ? { action } : {}) };
  }
  return undefined;
}

/** CPU time counters of the whole machine (/proc/stat, in ticks): total and stolen by the hypervisor. */
export function cpuTicks(): { total: number; steal: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]; // cpu user nice system idle iowait irq softirq steal
    const n = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: n.slice(0, 8).reduce((a, b) => a + b, 0), steal: n[7] ?? 0 };
  } catch {
    return undefined; // not Linux
  }
}

export async function machineInfo(redis: Redis): Promise<MachineInfo> {
  const info = await redis.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  const list = cpus();
  const damon = damonInfo();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemMB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    os: `${platform()} ${release()}`,
    redis: version,
    loadAvg: loadavg().map((x) => Math.round(x * 100) / 100),
    ...(damon ? { damon } : {}),
  };
}
