/**
 * Raw Mattermost WebSocket events as the normalizer takes them (protocol doc
 * §1.5): `{event, data, broadcast, seq}`, with `post`, `reaction`, `channel`
 * and `teammate_ids` still JSON strings inside `data`. REST catch-up builds
 * the same shape (see rest.ts) so one normalizer serves both.
 */
export interface Broadcast {
  omit_users?: Record<string, boolean> | null;
  user_id?: string;
  channel_id?: string;
  team_id?: string;
  connection_id?: string;
  omit_connection_id?: string;
}

export interface RawEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: Broadcast;
  /** Per-connection sequence number (absent for events built from REST). */
  seq?: number;
}

/** Where an event came from; recorded in metrics and in the job. */
export type EventSource = 'websocket' | 'catchup' | 'poll' | 'presence' | 'command';

/** When and on which connection the ingest received a batch of events. */
export interface EventMeta {
  /** Epoch ms when the ingest received the events (for the lag histogram and as a last-resort id part). */
  receivedAt: number;
  /** The WebSocket `connection_id` the events came on (with `seq`, stable across a replay). */
  connectionId?: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A Mattermost epoch-ms timestamp, or undefined when absent/0/not a sane number. */
export function millis(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 && n < 8.64e15 ? Math.floor(n) : undefined;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Parses a JSON-encoded object field (`post`, `reaction`, `channel`); also accepts an object. */
export function jsonObject(v: unknown): Record<string, unknown> | undefined {
  if (isRecord(v)) return v;
  if (typeof v !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(v);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function jsonStringArray(v: unknown): string[] {
  let arr: unknown = v;
  if (typeof v === 'string') {
    try {
      arr = JSON.parse(v);
    } catch {
      return [];
    }
  }
  return Array.isArray(arr) ? arr.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The key that decides an event's partition: its channel when it has one (so a
 * channel's events keep their order), else the user, else the event name.
 */
export function partitionKey(raw: unknown): string {
  if (!isRecord(raw)) return '';
  const b = isRecord(raw.broadcast) ? raw.broadcast : {};
  const d = isRecord(raw.data) ? raw.data : {};
  const user = isRecord(d.user) ? d.user.id : undefined;
  return (
    str(b.channel_id) ?? str(d.channel_id) ?? str(d.user_id) ?? str(user) ?? str(b.user_id) ?? String(raw.event ?? '')
  );
}
