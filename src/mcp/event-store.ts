/**
 * Redis-backed EventStore for the Streamable HTTP transport (one per session).
 *
 * The SDK's example store recovers the stream from the event id with
 * `split('_')[0]`, which breaks for the standalone GET stream (`_GET_stream`),
 * so server-initiated notifications were never replayed. Here every event id
 * names its stream kind explicitly and `getStreamIdForEventId` is implemented:
 *
 * - `g<entry-id>`: the standalone GET stream, in `keys.mcpEvents(session)`;
 * - `q<n>.<tag>.<stream-id>`: an event of a request (POST) stream; `n` counts
 *   the events of this store, `tag` binds the id to the session. Stored in
 *   `keys.mcpRequestEvents(session)` with the stream id and `n` beside the
 *   message (`r<entry-id>`, the former format, is still read).
 *
 * Nothing waits for Redis: a notification is written to the client in the turn
 * it is sent, and stored behind. Standalone entry ids are made here (`<ms>-<n>`,
 * rising) and written with XADD as the entry's own id, so a client can resume
 * on any instance that serves the same Redis. Should one not be above the
 * stream's last entry (a session moved from an instance whose clock ran ahead),
 * the entry is stored under a Redis-made id instead: a replay after an id the
 * client holds may then repeat an event, never skip one. Request streams are
 * on every tool call's path (docs/benchmarks.md, tool overhead): their ids are made here too, the
 * priming event is not stored at all (replaying after it means "the whole
 * stream"), other events are held for up to `REQUEST_HOLD_MS` and then written
 * — unless the session manager reports first that the HTTP response carrying
 * them finished (`delivered`): a stream the client received whole is never
 * resumed, so it need not be stored. A replay, a hand-over to another instance
 * or the hold's end write what is held first, on the same connection, so a
 * later read sees it. A response that is the first event of its stream is not
 * stored either: the client held no event id before it (no priming: protocol
 * before 2025-11-25), so nothing could resume to it. Both streams are bounded (MAXLEN) and expire with the session's
 * idle timeout: at least `ttlMs` after their last event. The expiry is set to 1¼ × `ttlMs` and renewed by
 * the first event after a quarter of it passed, not by every event (the fan-out benchmark's most frequent
 * command was that PEXPIRE).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EventStore, EventId, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { RedisKeys } from '../redis/keys';
import { LuaScript } from '../redis/script';

/** The SDK's id of the standalone GET stream (webStandardStreamableHttp.js). */
export const STANDALONE_STREAM_ID = '_GET_stream';

export type EventStoreLimits = {
  /** Events kept for the GET stream (notifications). */
  maxStandalone: number;
  /** Events kept for request streams (responses and request-scoped notifications). */
  maxRequest: number;
  /** Both streams expire at least this long (at most 1¼ × this) after the last event. */
  ttlMs: number;
};

export const DEFAULT_EVENT_STORE_LIMITS: EventStoreLimits = {
  maxStandalone: 10_000,
  maxRequest: 1_000,
  ttlMs: 30 * 60_000,
};

const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
const REQUEST_EVENT_ID = /^q(\d{1,15})\.([0-9a-f]{12})\.([\w-]{1,100})$/;
const PAGE = 500;
/** Request-stream events are held this long (or until this many) before being written, see `delivered`. */
export const REQUEST_HOLD_MS = 500;
const MAX_HELD = 100;

type Parsed = { kind: 'g' | 'r'; entryId: string };

function parseEventId(eventId: string): Parsed | undefined {
  const kind = eventId[0];
  const entryId = eventId.slice(1);
  if ((kind !== 'g' && kind !== 'r') || !ENTRY_ID.test(entryId)) return undefined;
  return { kind, entryId };
}

function fieldsToObject(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]] = fields[i + 1];
  return out;
}

/** Priming events store `{}`; only real JSON-RPC messages are replayed. */
function isReplayable(message: unknown): message is JSONRPCMessage {
  return typeof message === 'object' && message !== null && (message as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

function isResponse(message: JSONRPCMessage): boolean {
  return 'result' in message || 'error' in message;
}

type PendingAdd = {
  key: string;
  /** The entry id to write, or `*` for one Redis picks. */
  id: string;
  max: number;
  ttlMs: number | undefined;
  /** The entry's fields before its message. */
  fields: string[];
  /** The message (JSON), stored as the last field `m`. */
  message: string;
  onError: (err: unknown) => void;
};
const pendingAdds = new Map<Redis, PendingAdd[]>();
/** Writes sent and not answered yet, per connection: a replay waits for them (see `settled`). */
const inFlight = new Map<Redis, Set<Promise<unknown>>>();

/** Adds per script call: a call of 200 XADDs holds Redis for about a millisecond. */
const ADDS_PER_CALL = 200;
/** A failed XADD comes back as this prefix and its message (entry ids start with a digit). */
const FAILED = 'ERR ';

/**
 * XADD (+ PEXPIRE when the ttl is not 0) of each event of a batch, in order. ARGV: the number of
 * distinct messages and the messages (a notification fanned out to 100 sessions is sent once), then one
 * argument per event: its entry id (or `*`), MAXLEN, ttl, message number and fields, joined by newlines
 * (ioredis's cost grows with the number of arguments; none of these values holds a newline). An id not
 * above the stream's last one (another instance's clock ran ahead) is replaced by `*`. A failed XADD
 * fails only its own event.
 */
const ADD_EVENTS = new LuaScript(`
local out = {}
local base = tonumber(ARGV[1]) + 1
for i = 1, #KEYS do
  local p = {}
  for v in string.gmatch(ARGV[base + i], '[^\\n]+') do p[#p + 1] = v end
  local want, max, ttl = p[1], p[2], tonumber(p[3])
  local fields = {}
  for j = 5, #p do fields[#fields + 1] = p[j] end
  fields[#fields + 1] = 'm'
  fields[#fields + 1] = ARGV[1 + tonumber(p[4])]
  local id = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', max, want, unpack(fields))
  if type(id) == 'table' and want ~= '*' and string.find(tostring(id.err), 'equal or smaller', 1, true) then
    id = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', max, '*', unpack(fields))
  end
  if type(id) == 'table' then
    out[i] = '${FAILED}' .. tostring(id.err)
  else
    out[i] = id
    if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return out`);

/**
 * Queues the XADD (+ PEXPIRE when `ttlMs` is given) of one event, sent with
 * every other event stored in the same event-loop turn (any session) as one
 * script call per 200: an update fanned out to 1,000 sessions is a few
 * commands instead of 1,000 MULTIs (the fan-out benchmark's main cost per
 * notification at first) or 1,000 pipelined XADDs (ioredis spends about 14 µs
 * of CPU on each command, a script call about 3 µs per event). Events are
 * written in call order, so each stream keeps its order; the two commands of
 * an event need not be atomic. Nobody waits for the answer: a failure goes to
 * `onError`, `settled` tells when everything queued before is written.
 */
function queueAdd(redis: Redis, add: PendingAdd): void {
  if (add.fields.some((f) => f === '' || f.includes('\n'))) {
    add.onError(new Error(`event fields must be non-empty and without newlines: ${JSON.stringify(add.fields)}`));
    return;
  }
  let batch = pendingAdds.get(redis);
  if (!batch) {
    pendingAdds.set(redis, (batch = []));
    setImmediate(() => flushAdds(redis));
  }
  batch.push(add);
}

/** The script's arguments for some adds: distinct messages first, then each event (see ADD_EVENTS). */
function addArgs(part: PendingAdd[]): (string | number)[] {
  const messages = new Map<string, number>();
  const events: (string | number)[] = [];
  for (const a of part) {
    let m = messages.get(a.message);
    if (m === undefined) messages.set(a.message, (m = messages.size + 1));
    events.push(`${a.id}\n${a.max}\n${a.ttlMs ?? 0}\n${m}${a.fields.length ? `\n${a.fields.join('\n')}` : ''}`);
  }
  return [messages.size, ...messages.keys(), ...events];
}

/** Sends the pending adds now (they are then ahead of any command issued after this call). */
function flushAdds(redis: Redis): void {
  const batch = pendingAdds.get(redis);
  pendingAdds.delete(redis);
  if (!batch?.length) return;
  let sent = inFlight.get(redis);
  if (!sent) inFlight.set(redis, (sent = new Set()));
  for (let i = 0; i < batch.length; i += ADDS_PER_CALL) {
    const part = batch.slice(i, i + ADDS_PER_CALL);
    const call = ADD_EVENTS.run(
      redis,
      part.map((a) => a.key),
      addArgs(part),
    ).then(
      (ids) => {
        part.forEach((a, j) => {
          const id = (ids as unknown[] | null)?.[j];
          if (typeof id !== 'string') a.onError(new Error('XADD returned no id'));
          else if (id.startsWith(FAILED)) a.onError(new Error(id.slice(FAILED.length)));
        });
      },
      (err: unknown) => part.forEach((a) => a.onError(err)),
    );
    sent.add(call);
    void call.then(() => sent.delete(call));
  }
}

/**
 * Sends what is pending and resolves once every add sent before is answered: a read after it sees
 * them all, even when a script call had to be repeated as EVAL (Redis lost its scripts).
 */
async function settled(redis: Redis): Promise<void> {
  flushAdds(redis);
  await Promise.all([...(inFlight.get(redis) ?? [])]);
}

export class RedisEventStore implements EventStore {
  /** While true nothing is stored (used while an adopted session replays its initialize). */
  muted = false;
  /** Binds request-stream event ids to this session. */
  private readonly tag: string;
  private seq = 0;
  /** Request streams that already gave the client an event id (priming or an earlier event). */
  private readonly resumable = new Set<string>();
  /** Request-stream events not written yet, and the stream of each held response by request id. */
  private held: { streamId: string; n: number; message: JSONRPCMessage }[] = [];
  private readonly responseStreams = new Map<string | number, string>();
  private holdTimer?: NodeJS.Timeout;
  /** When this store last set each stream's expiry. */
  private readonly expirySetAt = { g: -Infinity, r: -Infinity };
  /** How long request-stream events wait for `delivered` before they are written. */
  holdMs = REQUEST_HOLD_MS;
  private readonly standaloneKey: string;
  private readonly requestKey: string;
  /** The last GET-stream entry id made here. */
  private lastMs = 0;
  private lastSeq = 0;

  constructor(
    private readonly redis: Redis,
    keys: RedisKeys,
    readonly sessionId: string,
    private readonly limits: EventStoreLimits = DEFAULT_EVENT_STORE_LIMITS,
    /** A request-stream event that could not be written behind (that event cannot be replayed). */
    private readonly onWriteError: (err: unknown) => void = () => undefined,
  ) {
    this.tag = createHash('sha256').update(sessionId).digest('hex').slice(0, 12);
    this.standaloneKey = keys.mcpEvents(sessionId);
    this.requestKey = keys.mcpRequestEvents(sessionId);
  }

  /** The expiry to set with this event, or undefined when the one set recently still covers it. */
  private expiryFor(kind: 'g' | 'r'): number | undefined {
    const now = Date.now();
    const quarter = this.limits.ttlMs / 4;
    if (now - this.expirySetAt[kind] < quarter) return undefined;
    this.expirySetAt[kind] = now;
    return this.limits.ttlMs + quarter;
  }

  private keyOf(kind: 'g' | 'r'): string {
    return kind === 'g' ? this.standaloneKey : this.requestKey;
  }

  /** The GET stream's next entry id, made here so that no event waits for Redis: `<ms>-<n>`, rising. */
  private nextEntryId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else this.lastSeq++;
    return `${this.lastMs}-${this.lastSeq}`;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    if (this.muted) return 'r0-0';
    if (streamId !== STANDALONE_STREAM_ID) return this.storeRequestEvent(streamId, message);
    return this.storeStandalone(JSON.stringify(message));
  }

  /** Stores a GET-stream event given as JSON text (the fan-out's notifications skip the SDK, see DirectSse). */
  storeStandalone(json: string): EventId {
    if (this.muted) return 'r0-0';
    const id = this.nextEntryId();
    queueAdd(this.redis, {
      key: this.keyOf('g'),
      id,
      max: this.limits.maxStandalone,
      ttlMs: this.expiryFor('g'),
      fields: ['s', STANDALONE_STREAM_ID],
      message: json,
      onError: this.onWriteError,
    });
    return `g${id}`;
  }

  private storeRequestEvent(streamId: StreamId, message: JSONRPCMessage): EventId {
    const n = ++this.seq;
    const id = `q${n}.${this.tag}.${streamId}`;
    const known = this.resumable.has(streamId);
    const response = isResponse(message);
    if (response) this.resumable.delete(streamId);
    else this.resumable.add(streamId);
    if (!isReplayable(message) || (response && !known)) return id;
    this.held.push({ streamId, n, message });
    if (response) this.responseStreams.set((message as { id: string | number }).id, streamId);
    if (this.held.length >= MAX_HELD) void this.persistHeld();
    else if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => void this.persistHeld(), this.holdMs);
      this.holdTimer.unref();
    }
    return id;
  }

  /**
   * The responses to these requests reached the client (their HTTP response
   * finished): their streams' held events need never be replayed, so they are
   * dropped instead of written.
   */
  delivered(requestIds: Iterable<string | number>): void {
    const streams = new Set<string>();
    for (const rid of requestIds) {
      const sid = this.responseStreams.get(rid);
      if (sid === undefined) continue;
      this.responseStreams.delete(rid);
      streams.add(sid);
    }
    if (streams.size) this.held = this.held.filter((h) => !streams.has(h.streamId));
  }

  /**
   * Writes the held request-stream events (the hold ended, a replay or a hand-over needs them); resolves
   * when Redis has them and everything stored before.
   */
  persistHeld(): Promise<void> {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const held = this.held;
    this.held = [];
    this.responseStreams.clear();
    for (const h of held) {
      queueAdd(this.redis, {
        key: this.keyOf('r'),
        id: '*',
        max: this.limits.maxRequest,
        ttlMs: this.expiryFor('r'),
        fields: ['s', h.streamId, 'n', String(h.n)],
        message: JSON.stringify(h.message),
        onError: this.onWriteError,
      });
    }
    return settled(this.redis);
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    const q = REQUEST_EVENT_ID.exec(eventId);
    if (q) return q[2] === this.tag ? q[3] : undefined;
    const parsed = parseEventId(eventId);
    if (!parsed) return undefined;
    if (parsed.kind === 'g') return STANDALONE_STREAM_ID;
    const entries = await this.redis.xrange(this.keyOf('r'), parsed.entryId, parsed.entryId);
    return entries.length ? fieldsToObject(entries[0][1]).s : undefined;
  }

  /** Replays a request stream after its event `after` (ids of this format). */
  private async replayRequestStream(
    streamId: StreamId,
    after: number,
    send: (eventId: EventId, message: JSONRPCMessage) => Promise<void>,
  ): Promise<void> {
    await this.persistHeld();
    let start = '-';
    for (;;) {
      const page = await this.redis.xrange(this.keyOf('r'), start, '+', 'COUNT', PAGE);
      for (const [, fields] of page) {
        const f = fieldsToObject(fields);
        const n = Number(f.n);
        if (f.s !== streamId || !(n > after)) continue;
        let message: unknown;
        try {
          message = JSON.parse(f.m);
        } catch {
          continue;
        }
        if (isReplayable(message)) await send(`q${n}.${this.tag}.${streamId}`, message);
      }
      if (page.length < PAGE) break;
      start = `(${page[page.length - 1][0]}`;
    }
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const q = REQUEST_EVENT_ID.exec(lastEventId);
    if (q && q[2] === this.tag) {
      await this.replayRequestStream(q[3], Number(q[1]), send);
      return q[3];
    }
    const parsed = parseEventId(lastEventId);
    const streamId = parsed ? await this.getStreamIdForEventId(lastEventId) : undefined;
    if (!parsed || !streamId) throw new Error(`unknown event id ${JSON.stringify(lastEventId.slice(0, 64))}`);
    const key = this.keyOf(parsed.kind);
    await settled(this.redis);
    let start = `(${parsed.entryId}`;
    for (;;) {
      const page = await this.redis.xrange(key, start, '+', 'COUNT', PAGE);
      for (const [id, fields] of page) {
        const f = fieldsToObject(fields);
        if (f.s !== streamId) continue;
        let message: unknown;
        try {
          message = JSON.parse(f.m);
        } catch {
          continue;
        }
        if (isReplayable(message)) await send(`${parsed.kind}${id}`, message);
      }
      if (page.length < PAGE) break;
      start = `(${page[page.length - 1][0]}`;
    }
    return streamId;
  }

  /** Resolves once Redis holds every event stored so far (by any store on this connection). */
  written(): Promise<void> {
    return settled(this.redis);
  }

  /** Forgets everything stored for the session (called when the session ends for good). */
  async clear(): Promise<void> {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.held = [];
    this.responseStreams.clear();
    await settled(this.redis); // what is written behind goes first, not after the unlink
    await this.redis.unlink(this.keyOf('g'), this.keyOf('r'));
  }
}
