/** The job of a partition queue: a micro-batch of raw events of that partition. */
import type { EventSource } from '../normalize/frame';

export interface EventBatchJob {
  v: 1;
  source: EventSource;
  /** Epoch ms the ingest received the batch. */
  receivedAt: number;
  connectionId?: string;
  /** Raw events as received (not validated: the normalizer judges each one). */
  events: unknown[];
}

/** Why a payload is not an EventBatchJob, or undefined when it is one. */
export function invalidJob(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return 'payload is not an object';
  const d = data as Partial<EventBatchJob>;
  if (d.v !== 1) return `unsupported payload version ${JSON.stringify(d.v)}`;
  if (!Array.isArray(d.events)) return 'events is not an array';
  if (typeof d.receivedAt !== 'number' || !Number.isFinite(d.receivedAt)) return 'receivedAt is not a number';
  return undefined;
}
