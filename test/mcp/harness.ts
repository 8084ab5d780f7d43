/**
 * Builds BridgeServices for MCP tests from real parts: config through the
 * real loader, the run's Redis under a private prefix, the real event log.
 * Parts a test does not use must be given by the test (never faked here).
 */
import type { Redis } from 'ioredis';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pino from 'pino';
import type { BridgeServices } from '../../src/app/services';
import { loadConfig, type BridgeConfig } from '../../src/config/load';
import { createEventLog, type RedisEventLog } from '../../src/eventlog';
import { ChannelPolicy } from '../../src/policy/channel-policy';
import { redisKeys } from '../../src/redis/keys';
import { cleanupPrefix, connectRedis, testRedisUrl } from '../helpers/redis';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import type { Post } from '@mattermost/types/posts';
import { createMattermostClient } from '../../src/mattermost/client';
import { CachedDirectory } from '../../src/mattermost/directory-cache';
import { RedisWatchList } from '../../src/watches/redis-watch-list';
import { normalizeEvent, postToRawEvents } from '../../src/pipeline/normalize';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';

export const READ_KEY = 'read-key-0123456789abcdef';
export const WRITE_KEY = 'write-key-0123456789abcdef';
export const ADMIN_KEY = 'admin-key-0123456789abcdef';

export type TestServices = BridgeServices & { eventLog: RedisEventLog };

export function testConfig(prefix: string, env: Record<string, string> = {}): BridgeConfig {
  return loadConfig({
    env: {
      REDIS_URL: testRedisUrl(),
      BRIDGE_REDIS_PREFIX: prefix,
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_PORT: '0',
      BRIDGE_API_KEYS: `reader:${READ_KEY}:read,writer:${WRITE_KEY}:read+write,admin:${ADMIN_KEY}:admin`,
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
}

/** A logger that writes nothing (set MMB_TEST_LOGS=1 to see the lines). */
export function testLogger() {
  return pino({ level: process.env.MMB_TEST_LOGS ? 'debug' : 'silent' });
}

export function buildServices(
  config: BridgeConfig,
  parts: Partial<Pick<BridgeServices, 'watches' | 'mattermost' | 'directory' | 'policy'>> = {},
  redis: Redis = connectRedis(),
): TestServices {
  const keys = redisKeys(config.BRIDGE_REDIS_PREFIX);
  const log = testLogger();
  const missing = (what: string) =>
    new Proxy(
      {},
      {
        get: (_t, prop) => {
          if (prop === 'then') return undefined;
          throw new Error(`${what}.${String(prop)} is not part of this test's services`);
        },
      },
    );
  return {
    config,
    log,
    redis,
    queueRedis: redis,
    keys,
    eventLog: createEventLog(config, redis, keys, log),
    policy: parts.policy ?? ChannelPolicy.fromConfig(config),
    watches: parts.watches ?? (missing('watches') as BridgeServices['watches']),
    mattermost: parts.mattermost ?? (missing('mattermost') as BridgeServices['mattermost']),
    directory: parts.directory ?? (missing('directory') as BridgeServices['directory']),
  };
}

/** An SDK client over real HTTP; `reconnect` lets it resume its GET stream (otherwise it never retries). */
export async function connectClient(
  url: string,
  key?: string,
  opts: { name?: string; reconnect?: boolean; reconnectDelayMs?: number } = {},
) {
  const client = new Client({ name: opts.name ?? 'mcp-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : undefined,
    reconnectionOptions: {
      initialReconnectionDelay: opts.reconnectDelayMs ?? 50,
      maxReconnectionDelay: Math.max(200, opts.reconnectDelayMs ?? 0),
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: opts.reconnect ? 20 : 0,
    },
  });
  await client.connect(transport);
  return { client, transport };
}

/** Resolves when `check` holds, polling every 10 ms; rejects when it still fails after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  // checks once more after the deadline: a process stalled past it (a loaded CI machine) still gets its look
  while (true) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The real Mattermost-side parts on a fake Mattermost: resilient Client4, cached directory, watch list. */
export function mattermostParts(config: BridgeConfig, redis: Redis) {
  const keys = redisKeys(config.BRIDGE_REDIS_PREFIX);
  const mattermost = createMattermostClient({
    url: config.MATTERMOST_URL!,
    token: config.MATTERMOST_TOKEN,
    timeoutMs: config.BRIDGE_MM_TIMEOUT,
    ratePerSec: 1000,
    redis,
    budgetKeyPrefix: keys.rateLimit,
    baseDelayMs: 5,
    maxDelayMs: 50,
  });
  const directory = new CachedDirectory(mattermost);
  const watches = new RedisWatchList({
    redis,
    keys,
    directory,
    policy: ChannelPolicy.fromConfig(config),
    teams: config.BRIDGE_TEAMS,
  });
  return { mattermost, directory, watches };
}

/**
 * Puts a post made in the fake into the event log through the pipeline's own
 * normalizer (REST form of the post → raw `posted` event → update records →
 * idempotent append), as catch-up does. Returns the appended cursors.
 */
export async function ingestPost(
  services: TestServices,
  fake: FakeMattermost,
  post: Record<string, unknown>,
): Promise<string[]> {
  const ch = await services.directory.channel(String(post.channel_id));
  const raws = postToRawEvents(post as unknown as Post, { channel: ch });
  const cursors: string[] = [];
  for (const raw of raws) {
    const result = await normalizeEvent(
      raw,
      { receivedAt: Date.now() },
      {
        directory: services.directory,
        botUserId: fake.user('bridge-bot').id,
      },
    );
    if (!result.ok) throw new Error(`normalize skipped the post: ${result.reason} ${result.detail}`);
    for (const r of await services.eventLog.append(result.updates)) cursors.push(r.cursor);
  }
  return cursors;
}

export type McpWithFake = {
  redis: Redis;
  fake: FakeMattermost;
  services: TestServices;
  mcp: McpHttpHandle;
  stop(): Promise<void>;
};

/** The fake Mattermost plus one MCP server on real services under `prefix`; `stop()` undoes all of it. */
export async function startMcpWithFake(prefix: string): Promise<McpWithFake> {
  const redis = connectRedis();
  const fake = await startFakeMattermost();
  const config = testConfig(prefix, { MATTERMOST_URL: fake.url, MATTERMOST_TOKEN: fake.token('bridge-bot') });
  const serviceRedis = connectRedis();
  const services = buildServices(config, mattermostParts(config, serviceRedis), serviceRedis);
  const mcp = await startMcpHttp(services);
  return {
    redis,
    fake,
    services,
    mcp,
    stop: () => stopMcpTest({ mcp, services, redis, prefix, fake }),
  };
}

/** Undoes a test's MCP server on `buildServices`: stops it (and the fake), deletes the prefix's keys, disconnects. */
export async function stopMcpTest(t: {
  mcp: McpHttpHandle;
  services: TestServices;
  redis: Redis;
  prefix: string;
  fake?: FakeMattermost;
}): Promise<void> {
  await t.mcp.stop();
  await t.services.eventLog.close();
  await t.fake?.stop();
  await cleanupPrefix(t.redis, t.prefix);
  t.services.redis.disconnect();
  t.redis.disconnect();
}
