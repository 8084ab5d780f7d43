/**
 * Presence polling. A real server sends `status_change` only to the sockets
 * of the user concerned, so the bot never hears other people's status. Every
 * BRIDGE_STATUS_POLL_INTERVAL we read the statuses of the members of the
 * streamed channels (POST /users/status/ids), compare them with the last
 * known ones (keys.presence, a hash userId → {s: status, at, e: emitted}) and
 * enqueue a raw `status_change` event for each change, which the normalizer
 * turns into `status.changed`.
 *
 * Exactly once: a change is first written with e=0 and its observation time,
 * then enqueued with that time as its receivedAt (which the event id is built
 * from), then marked e=1. A crash in between re-sends the same event id on the
 * next poll, which the log de-duplicates. The first sight of a user is a
 * baseline, not a change. The bot's own status arrives over its WebSocket and
 * is not polled.
 */
import type { Client4 } from '@mattermost/client';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger';
import type { RedisKeys } from '../../redis/keys';
import type { RawEvent } from '../normalize/frame';
import type { EventMeta, EventSource } from '../normalize/frame';
import type { StreamedChannel } from '../catchup/catchup';

/** Users asked per /users/status/ids request. */
const STATUS_BATCH = 200;
/** Members read per channel page. */
const MEMBER_PAGE = 200;
/** Users polled at most per pass (a bound on requests; the rest are logged as skipped). */
export const MAX_PRESENCE_USERS = 10_000;

export type PresenceEnqueue = (events: unknown[], source: EventSource, meta: Partial<EventMeta>) => Promise<unknown>;

export interface PresenceDeps {
  client: Client4;
  redis: Redis;
  keys: RedisKeys;
  enqueue: PresenceEnqueue;
  /** The bot's user id (its own status comes over the WebSocket). */
  botUserId: string;
  log: Logger;
}

export interface PresenceReport {
  users: number;
  /** status.changed events enqueued (re-sent pending ones included). */
  changed: number;
}

interface Known {
  s: string;
  at: number;
  e: 0 | 1;
}

function parseKnown(v: string | null): Known | undefined {
  if (!v) return undefined;
  try {
    const k = JSON.parse(v) as Known;
    return typeof k.s === 'string' && typeof k.at === 'number' ? k : undefined;
  } catch {
    return undefined;
  }
}

/** The raw event a real server would send to the user's own sockets. */
export function statusChangeEvent(userId: string, status: string): RawEvent {
  return {
    event: 'status_change',
    data: { status, user_id: userId },
    broadcast: { omit_users: null, user_id: userId, channel_id: '', team_id: '' },
  };
}

/** Distinct members of the channels, the bot excluded. */
export async function membersOf(client: Client4, channels: StreamedChannel[], botUserId: string): Promise<string[]> {
  const users = new Set<string>();
  for (const c of channels) {
    for (let page = 0; users.size < MAX_PRESENCE_USERS; page++) {
      const members = await client.getChannelMembers(c.id, page, MEMBER_PAGE);
      for (const m of members) if (m.user_id !== botUserId) users.add(m.user_id);
      if (members.length < MEMBER_PAGE) break;
    }
  }
  return [...users].slice(0, MAX_PRESENCE_USERS);
}

/** One presence pass over the members of `channels`. */
export async function pollPresence(deps: PresenceDeps, channels: StreamedChannel[]): Promise<PresenceReport> {
  const userIds = await membersOf(deps.client, channels, deps.botUserId);
  if (userIds.length === 0) return { users: 0, changed: 0 };
  const current = new Map<string, string>();
  for (let i = 0; i < userIds.length; i += STATUS_BATCH) {
    for (const s of await deps.client.getStatusesByIds(userIds.slice(i, i + STATUS_BATCH))) {
      if (s && typeof s.user_id === 'string' && typeof s.status === 'string') current.set(s.user_id, s.status);
    }
  }
  const ids = [...current.keys()];
  if (ids.length === 0) return { users: 0, changed: 0 };
  const stored = await deps.redis.hmget(deps.keys.presence, ...ids);
  const now = Date.now();
  const writes: Record<string, string> = {};
  /** Events to send, oldest observation first: pending ones from an interrupted pass, then today's. */
  const toSend: { userId: string; known: Known }[] = [];
  ids.forEach((userId, i) => {
    const status = current.get(userId)!;
    const known = parseKnown(stored[i]);
    if (!known) {
      writes[userId] = JSON.stringify({ s: status, at: now, e: 1 } satisfies Known);
      return;
    }
    if (known.e === 0) toSend.push({ userId, known });
    if (known.s !== status) {
      const change: Known = { s: status, at: now, e: 0 };
      writes[userId] = JSON.stringify(change);
      toSend.push({ userId, known: change });
    }
  });
  if (Object.keys(writes).length) await deps.redis.hset(deps.keys.presence, writes);
  if (toSend.length === 0) return { users: ids.length, changed: 0 };

  // The observation time is the event's receivedAt (and so part of its id): one enqueue per time.
  toSend.sort((a, b) => a.known.at - b.known.at);
  const byTime = new Map<number, RawEvent[]>();
  for (const { userId, known } of toSend) {
    let group = byTime.get(known.at);
    if (!group) byTime.set(known.at, (group = []));
    group.push(statusChangeEvent(userId, known.s));
  }
  for (const [at, events] of byTime) await deps.enqueue(events, 'presence', { receivedAt: at });

  // Mark sent, unless a newer change was written meanwhile (then that one is still pending).
  const latest: Record<string, string> = {};
  for (const { userId, known } of toSend) {
    if (known.s === current.get(userId)) latest[userId] = JSON.stringify({ ...known, e: 1 } satisfies Known);
  }
  if (Object.keys(latest).length) await deps.redis.hset(deps.keys.presence, latest);
  deps.log.debug({ users: ids.length, changed: toSend.length }, 'presence poll');
  return { users: ids.length, changed: toSend.length };
}
