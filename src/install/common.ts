/** What install, uninstall and doctor share: output, the admin client, a Redis that fails fast, error wording. */
import type { Redis } from 'ioredis';
import { CliError } from '../cli/errors';
import type { BridgeConfig } from '../config/load';
import { createMattermostClient, isMattermostError, type ResilientClient4 } from '../mattermost/client';
import { connectRedis } from '../redis/connect';

export interface Io {
  print(line: string): void;
  /** A Redis to use instead of connecting to REDIS_URL (tests). */
  redis?: Redis;
}

export function defaultIo(): Io {
  return { print: (line) => process.stdout.write(`${line}\n`) };
}

export function adminClient(config: BridgeConfig, url: string, token: string): ResilientClient4 {
  return createMattermostClient({
    url,
    token,
    timeoutMs: config.BRIDGE_MM_TIMEOUT,
    ratePerSec: config.BRIDGE_MM_RATE,
    maxAttempts: 3,
  });
}

/** A Redis connection that gives up quickly instead of waiting through an outage (a CLI, not a server). */
export function shortLivedRedis(url: string): Redis {
  const redis = connectRedis(url, {
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    lazyConnect: true,
    // A refused socket is otherwise waited for 2 s after disconnect().
    disconnectTimeout: 100,
  });
  // Failures reach the caller through the commands; without a listener ioredis prints them.
  redis.on('error', () => {});
  return redis;
}

/** The Redis install writes to, checked before anything changes in Mattermost. */
export async function installRedis(
  config: BridgeConfig,
  io: Io,
): Promise<{ redis: Redis; close: () => Promise<void> }> {
  if (io.redis) return { redis: io.redis, close: async () => {} };
  const redis = shortLivedRedis(config.REDIS_URL);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new CliError(
      `cannot reach Redis at REDIS_URL (${(err as Error).message}); the slash-command tokens are kept there. Start Redis or set REDIS_URL to the one the bridge uses.`,
    );
  }
  return {
    redis,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** A failure of install/uninstall as one line that says what to do. */
export function describeFailure(err: unknown, url: string): Error {
  if (err instanceof CliError) return err;
  if (isMattermostError(err)) {
    if (err.kind === 'network' || err.kind === 'timeout' || err.kind === 'circuit_open') {
      return new CliError(`cannot reach Mattermost at ${url}: ${err.message}; check --url / MATTERMOST_URL`);
    }
    if (err.status === 401) {
      return new CliError(
        `Mattermost refused --admin-token (401); give a valid personal access token of a system admin`,
      );
    }
    if (err.status === 403) {
      return new CliError(
        `Mattermost refused: ${err.message} (403). The admin token needs the permissions listed in manifest.json (permissions.install), and the server settings listed there must be on.`,
      );
    }
    if (err.status === 501) {
      return new CliError(
        `Mattermost has this feature switched off: ${err.message} (501). Turn on the server settings listed in manifest.json (permissions.server_settings).`,
      );
    }
    return new CliError(`Mattermost answered ${err.status || err.kind}: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
