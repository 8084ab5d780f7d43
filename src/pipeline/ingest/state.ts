/**
 * The active ingest's state, published in Redis (keys.ingestState, a hash with
 * a TTL the leader keeps refreshing) so that any process, an mcp-only one
 * included, can answer /readyz and `get_bridge_stats`. When no ingest is
 * alive the key expires and readers see `undefined`.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../redis/keys';
import type { WebSocketState } from '../metrics';

export interface IngestStatus {
  /** Who publishes it (host:pid:random). */
  instance: string;
  websocket: WebSocketState;
  /** The WebSocket `connection_id` of the current connection, when connected. */
  connectionId?: string;
  /** A REST catch-up is running (start-up, or the server could not replay). */
  catchingUp: boolean;
  /** The REST polling fallback is on (WebSocket down past BRIDGE_WS_GRACE, or disabled). */
  polling: boolean;
  /** Epoch ms the WebSocket entered its current state. */
  since: number;
  /** Epoch ms of the last write. */
  updatedAt: number;
  /** WebSocket reconnects of this leader. */
  reconnects: number;
}

/** Ready to deliver events: the WebSocket is up, or a catch-up or the polling fallback is running. */
export function isIngestReady(status: IngestStatus | undefined): boolean {
  if (!status) return false;
  return status.websocket === 'connected' || status.catchingUp || status.polling;
}

/** Publishes the status (one MULTI); `ttlMs` lets it vanish when the leader dies. */
export async function writeIngestStatus(redis: Redis, keys: RedisKeys, status: IngestStatus, ttlMs: number) {
  const fields: Record<string, string> = {
    instance: status.instance,
    websocket: status.websocket,
    connectionId: status.connectionId ?? '',
    catchingUp: status.catchingUp ? '1' : '0',
    polling: status.polling ? '1' : '0',
    since: String(status.since),
    updatedAt: String(status.updatedAt),
    reconnects: String(status.reconnects),
  };
  await redis.multi().del(keys.ingestState).hset(keys.ingestState, fields).pexpire(keys.ingestState, ttlMs).exec();
}

/** The published status of the active ingest, or undefined when none is alive. */
export async function readIngestState(redis: Redis, keys: RedisKeys): Promise<IngestStatus | undefined> {
  const h = await redis.hgetall(keys.ingestState);
  if (!h || !h.instance) return undefined;
  return {
    instance: h.instance,
    websocket: (h.websocket as WebSocketState) || 'disconnected',
    ...(h.connectionId ? { connectionId: h.connectionId } : {}),
    catchingUp: h.catchingUp === '1',
    polling: h.polling === '1',
    since: Number(h.since) || 0,
    updatedAt: Number(h.updatedAt) || 0,
    reconnects: Number(h.reconnects) || 0,
  };
}
