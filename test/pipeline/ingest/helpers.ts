/** Small helpers of the ingest and fault tests: waiting, reading the whole log, counting. */
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import type { RedisEventLog } from '../../../src/eventlog/redis-event-log';
import type { RedisKeys } from '../../../src/redis/keys';
import type { UpdateRecord, UpdateType } from '../../../src/updates/record';
import { readIngestState, type IngestStatus } from '../../../src/pipeline/ingest';

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every update of the log (oldest first) that passes the filter. */
export async function allUpdates(
  log: RedisEventLog,
  filter: { types?: UpdateType[]; streams?: string[]; channels?: string[] } = {},
): Promise<UpdateRecord[]> {
  const out: UpdateRecord[] = [];
  let after = '0-0';
  for (;;) {
    const page = await log.read({ ...filter, after, limit: 1000 });
    out.push(...page.updates);
    if (page.updates.length === 0 || page.nextCursor === after) return out;
    after = page.nextCursor;
  }
}

export function messageOf(u: UpdateRecord): string {
  return ((u.data as { post?: { message?: string } }).post?.message ?? '') as string;
}

/** post.created records whose message starts with `prefix`, with their messages. */
export async function createdWith(log: RedisEventLog, prefix: string): Promise<string[]> {
  const all = await allUpdates(log, { types: ['post.created'] });
  return all.map(messageOf).filter((m) => m.startsWith(prefix));
}

export async function counterValue(c: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

export async function ingestState(redis: Redis, keys: RedisKeys): Promise<IngestStatus | undefined> {
  return readIngestState(redis, keys);
}

/** The ingest is connected and no catch-up is running. */
export async function waitConnected(redis: Redis, keys: RedisKeys, timeoutMs = 20_000): Promise<IngestStatus> {
  let s: IngestStatus | undefined;
  await until(
    'the ingest to be connected',
    async () => {
      s = await readIngestState(redis, keys);
      return s?.websocket === 'connected' && !s.catchingUp;
    },
    timeoutMs,
  );
  return s!;
}

/** Fails with a listing when a message is missing or doubled. */
export function expectExactlyOnce(got: string[], want: string[]): void {
  const counts = new Map<string, number>();
  for (const m of got) counts.set(m, (counts.get(m) ?? 0) + 1);
  const missing = want.filter((m) => !counts.has(m));
  const doubled = [...counts].filter(([, n]) => n > 1).map(([m]) => m);
  const extra = [...counts.keys()].filter((m) => !want.includes(m));
  if (missing.length || doubled.length || extra.length) {
    throw new Error(
      `expected each of ${want.length} messages exactly once; missing ${missing.length} (${missing.slice(0, 5).join(', ')}), doubled ${doubled.length} (${doubled.slice(0, 5).join(', ')}), unexpected ${extra.length}`,
    );
  }
  expect(got).toHaveLength(want.length);
}
