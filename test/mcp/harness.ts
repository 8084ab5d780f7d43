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
import { connectRedis, testRedisUrl } from '../helpers/redis';

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
    keys,
    eventLog: createEventLog(config, redis, keys, log),
    policy:
      parts.policy ??
      new ChannelPolicy({
        allow: config.BRIDGE_CHANNELS_ALLOW,
        deny: config.BRIDGE_CHANNELS_DENY,
        allowDirect: config.BRIDGE_ALLOW_DIRECT,
      }),
    watches: parts.watches ?? (missing('watches') as BridgeServices['watches']),
    mattermost: parts.mattermost ?? (missing('mattermost') as BridgeServices['mattermost']),
    directory: parts.directory ?? (missing('directory') as BridgeServices['directory']),
  };
}

/** An SDK client over real HTTP; `reconnect` lets it resume its GET stream (otherwise it never retries). */
export async function connectClient(url: string, key?: string, opts: { name?: string; reconnect?: boolean } = {}) {
  const client = new Client({ name: opts.name ?? 'mcp-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : undefined,
    reconnectionOptions: {
      initialReconnectionDelay: 50,
      maxReconnectionDelay: 200,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: opts.reconnect ? 20 : 0,
    },
  });
  await client.connect(transport);
  return { client, transport };
}

/** Resolves when `check` holds, polling every 10 ms; rejects after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
