/**
 * Event pipeline metrics, registered in the process registry (served on
 * /metrics). The ingest sets the WebSocket ones; enqueue and the normalize
 * workers count the rest. Queue depth is read from BullMQ on each scrape.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Queue } from 'bullmq';
import { registry } from '../metrics/registry';

/** Label-safe event name: Mattermost names are snake_case; anything else is `other`. */
export function eventLabel(name: unknown): string {
  return typeof name === 'string' && /^[a-z][a-z0-9_]{0,47}$/.test(name) ? name : 'other';
}

export const eventsReceived = new Counter({
  name: 'mmb_events_received_total',
  help: 'Raw Mattermost events received (WebSocket, REST catch-up, polling), by event name and source.',
  labelNames: ['event', 'source'] as const,
  registers: [registry],
});

export const eventsEnqueued = new Counter({
  name: 'mmb_events_enqueued_total',
  help: 'Raw events added to the partition queues, by source.',
  labelNames: ['source'] as const,
  registers: [registry],
});

export const eventsNormalized = new Counter({
  name: 'mmb_events_normalized_total',
  help: 'Update records appended to the event log (new, not duplicates), by update type.',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const eventsDeduplicated = new Counter({
  name: 'mmb_events_deduplicated_total',
  help: 'Update records that were already in the event log (same eventId), by update type.',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const eventsSkipped = new Counter({
  name: 'mmb_events_skipped_total',
  help: 'Raw events or records not logged: ignored (nothing to log), unknown, malformed, not_streamed (watch list/policy).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const jobsFailed = new Counter({
  name: 'mmb_event_jobs_failed_total',
  help: 'Failed attempts of normalize jobs; `final` is 1 when the job went to the failed set.',
  labelNames: ['partition', 'final'] as const,
  registers: [registry],
});

export const ingestLag = new Histogram({
  name: 'mmb_ingest_to_log_seconds',
  help: 'Time from the ingest receiving an event to its record being in the event log.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const WEBSOCKET_STATES = ['connecting', 'connected', 'disconnected', 'disabled', 'standby'] as const;
export type WebSocketState = (typeof WEBSOCKET_STATES)[number];

export const websocketState = new Gauge({
  name: 'mmb_websocket_state',
  help: 'The ingest WebSocket state: 1 for the current state, 0 for the others.',
  labelNames: ['state'] as const,
  registers: [registry],
});

export const websocketReconnects = new Counter({
  name: 'mmb_websocket_reconnects_total',
  help: 'WebSocket reconnects of the ingest.',
  registers: [registry],
});

export function setWebSocketState(state: WebSocketState): void {
  for (const s of WEBSOCKET_STATES) websocketState.set({ state: s }, s === state ? 1 : 0);
}

/** Queues open in this process; several may name the same partition (producer and worker side). */
const trackedQueues = new Map<Queue, string>();

/** Queue depth per partition and job state, read from BullMQ at scrape time (bounded by a short timeout). */
export const queueDepth = new Gauge({
  name: 'mmb_event_queue_depth',
  help: 'Jobs (micro-batches) in each event partition queue, by state.',
  labelNames: ['partition', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const byName = new Map<string, [Queue, string]>();
    for (const [queue, partition] of trackedQueues) byName.set(queue.name, [queue, partition]);
    await Promise.all(
      [...byName.values()].map(async ([queue, partition]) => {
        const counts = await withTimeout(
          queue.getJobCounts('wait', 'active', 'delayed', 'failed', 'prioritized'),
          1000,
        );
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ partition, state }, n);
      }),
    );
  },
});

export function trackQueueDepth(queue: Queue, partition: number): void {
  trackedQueues.set(queue, String(partition));
}

export function untrackQueueDepth(queue: Queue): void {
  trackedQueues.delete(queue);
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([p.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
