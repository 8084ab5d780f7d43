/**
 * Per-channel catch-up offsets (keys.channelOffsets, a hash channelId → the
 * newest post `update_at` seen, in Mattermost's clock). They only move forward
 * (one Lua max per batch) and only after the events that justify them were
 * enqueued, so a crash at any point re-fetches rather than loses. The field
 * `*` holds when the last complete catch-up run started (local clock minus the
 * skew): the `since` for channels never seen before (e.g. joined while down).
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../redis/keys';
import { LuaScript } from '../../redis/script';
import { isRecord } from '../normalize/frame';

const ADVANCE_LUA = `
for i = 1, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') or 0
  local nxt = tonumber(ARGV[i + 1])
  if nxt and nxt > cur then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`;
const ADVANCE = new LuaScript(ADVANCE_LUA);

/** The field of the last complete run. Channel ids are 26 base32 characters, never `*`. */
export const LAST_RUN_FIELD = '*';

export class ChannelOffsets {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Moves each channel's offset forward to the given time (never back). One round trip. */
  async advance(offsets: Map<string, number>): Promise<void> {
    if (offsets.size === 0) return;
    const args: (string | number)[] = [];
    for (const [channelId, at] of offsets) args.push(channelId, Math.floor(at));
    await ADVANCE.run(this.redis, [this.keys.channelOffsets], args); // EVALSHA: not the text with every batch
  }

  async get(channelIds: string[]): Promise<Map<string, number | undefined>> {
    const out = new Map<string, number | undefined>();
    if (channelIds.length === 0) return out;
    const values = await this.redis.hmget(this.keys.channelOffsets, ...channelIds);
    channelIds.forEach((id, i) => {
      const n = Number(values[i]);
      out.set(id, values[i] !== null && Number.isFinite(n) && n > 0 ? n : undefined);
    });
    return out;
  }

  async lastRun(): Promise<number | undefined> {
    return (await this.get([LAST_RUN_FIELD])).get(LAST_RUN_FIELD);
  }

  setLastRun(at: number): Promise<void> {
    return this.advance(new Map([[LAST_RUN_FIELD, at]]));
  }

  async all(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.keys.channelOffsets);
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }
}

const POST_EVENTS = new Set(['posted', 'post_edited', 'post_deleted']);
/** The top-level `update_at` of a JSON-encoded post: Go (and the fake) write it before any nested object. */
const UPDATE_AT = /"update_at":(\d{1,16})/;

/**
 * The newest post `update_at` per channel among raw WebSocket events, read
 * from the encoded post without parsing it again (a quoted key cannot occur
 * inside a JSON string value, where quotes are escaped).
 */
export function postOffsetsOf(events: unknown[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    if (!isRecord(e) || !POST_EVENTS.has(e.event as string) || !isRecord(e.data)) continue;
    const post = e.data.post;
    let channelId: unknown;
    let updateAt: number | undefined;
    if (typeof post === 'string') {
      const m = UPDATE_AT.exec(post);
      if (m) updateAt = Number(m[1]);
      channelId = isRecord(e.broadcast) ? e.broadcast.channel_id : undefined;
      if (typeof channelId !== 'string' || !channelId) channelId = /"channel_id":"([a-z0-9]{26})"/.exec(post)?.[1];
    } else if (isRecord(post)) {
      updateAt = typeof post.update_at === 'number' ? post.update_at : undefined;
      channelId = post.channel_id;
    }
    if (typeof channelId !== 'string' || !channelId || !updateAt || !Number.isFinite(updateAt)) continue;
    if (updateAt > (out.get(channelId) ?? 0)) out.set(channelId, updateAt);
  }
  return out;
}
