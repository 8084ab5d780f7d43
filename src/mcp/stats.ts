/**
 * Live bridge stats for `get_bridge_stats` and `mattermost://stats`, from
 * Redis only, so every mcp instance reports the same picture.
 */
import type { BridgeServices } from '../app/services';
import { URIS } from '../updates/uris';
import { readIngestState } from '../pipeline/ingest/state';
import { eventQueueDepths } from '../pipeline/queue/depth';

export interface BridgeStats {
  at: string;
  sessions: number;
  log: {
    headCursor: string;
    /** ms between now and the newest update's append time (null when the log is empty). */
    lagMs: number | null;
    entries: number;
    updatesLastMinute: number;
  };
  watches: number;
  /** The active ingest's WebSocket state and the event queues' depths, as the pipeline keeps them in Redis. */
  pipeline: Record<string, string>;
}

const RATE_SAMPLE_CAP = 10_000;

function cursorTime(cursor: string): number | undefined {
  const ms = Number(cursor.split('-')[0]);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export async function collectBridgeStats(services: BridgeServices, now = Date.now()): Promise<BridgeStats> {
  const { redis, keys, config } = services;
  const firehose = keys.logStream(URIS.events);
  const [head, entries, recent, sessions, pipeline, watches] = await Promise.all([
    services.eventLog.head(),
    redis.xlen(firehose),
    redis.xrange(firehose, String(now - 60_000), '+', 'COUNT', RATE_SAMPLE_CAP),
    redis.zcount(keys.mcpSessions, now - config.BRIDGE_SESSION_IDLE_TIMEOUT, '+inf'),
    pipelineStats(services),
    (async () => (await services.watches.list()).length)().catch(() => 0),
  ]);
  const t = cursorTime(head);
  return {
    at: new Date(now).toISOString(),
    sessions,
    log: {
      headCursor: head,
      lagMs: t === undefined ? null : Math.max(0, now - t),
      entries,
      updatesLastMinute: recent.length,
    },
    watches,
    pipeline,
  };
}

async function pipelineStats({ redis, keys, config }: BridgeServices): Promise<Record<string, string>> {
  const [ingest, depths] = await Promise.all([
    readIngestState(redis, keys),
    eventQueueDepths(redis, keys, config.BRIDGE_PARTITIONS),
  ]);
  const out: Record<string, string> = {
    websocket: ingest ? ingest.websocket : 'no active ingest',
    events_waiting: String(depths.waiting.reduce((a, b) => a + b, 0)),
    events_active: String(depths.active),
    failed_jobs: String(depths.failed),
  };
  if (ingest) {
    out.catching_up = String(ingest.catchingUp);
    out.polling = String(ingest.polling);
    out.reconnects = String(ingest.reconnects);
  }
  return out;
}

export function renderStats(s: BridgeStats): string {
  const pipeline = Object.entries(s.pipeline)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `bridge stats at ${s.at}`,
    `sessions: ${s.sessions}; watched channels: ${s.watches || 'all of the bot'}`,
    `event log: ${s.log.entries} entries, ${s.log.updatesLastMinute} in the last minute, head cursor ${s.log.headCursor}` +
      (s.log.lagMs === null ? '' : `, newest ${Math.round(s.log.lagMs / 1000)} s ago`),
    `pipeline: ${pipeline || 'no counters published'}`,
  ].join('\n');
}
