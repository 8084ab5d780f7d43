/**
 * K event queues (BRIDGE_PARTITIONS), one channel always in the same one:
 * each queue is worked one job at a time, so a channel keeps its order.
 */
export const EVENT_JOB = 'events';

export function partitionQueueName(partition: number): string {
  return `events-${partition}`;
}

/** FNV-1a: fast, stable across processes and versions. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
