/**
 * The one Lua script that appends a batch of updates, atomically, in one round
 * trip. For each update: the dedup check, the firehose XADD (Redis picks the
 * id), the dedup key (value = that id, TTL = retention) and an XADD with the
 * SAME id into each resource stream.
 *
 * Then each touched stream is trimmed EXACTLY (so we know what went): by
 * length (at most 1000 entries per batch, the rest next time) and by age
 * (MINID, from Redis' own clock). The id of the newest trimmed entry is kept
 * in the stream's watermark key: a cursor below it is expired, a cursor that is
 * merely before the first entry of a never-trimmed stream is not. Resource
 * streams and their watermarks get a TTL of the retention age, so a thread no
 * one writes to any more disappears once all its entries are too old; the
 * firehose has none (it also keeps ids monotonic for every stream).
 *
 * Entry fields: t = type, c = channel id ('' when none), r = the record JSON; the firehose entry also
 * u = the resource stream URIs it was appended to, space-separated (readers filter in memory by it).
 *
 * KEYS: [firehose, firehose watermark, then per update: dedup key, (stream key, watermark key) per resource stream]
 * ARGV: [retentionMs, maxLen, n, then per update: type, channelId, json, uris, nStreams]
 * Returns a flat array: id1, dup1, id2, dup2, ... (dup = 1 when already logged), then the firehose's
 * newest id before this call ('0-0' when empty): the entries added follow it directly, so this process's
 * head watcher can take them without waiting for its XREAD (HeadWatcher.offer).
 */
import { LuaScript } from '../redis/script';

export const APPEND_LUA = `
local ttl = tonumber(ARGV[1])
local maxlen = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minid = string.format('%.0f', nowms - ttl)

local function trim(key, wkey, expire)
  local removed = nil
  local len = redis.call('XLEN', key)
  if len > maxlen then
    local d = math.min(len - maxlen, 1000)
    local doomed = redis.call('XRANGE', key, '-', '+', 'COUNT', d + 1)
    removed = doomed[d][1]
    redis.call('XTRIM', key, 'MINID', doomed[d + 1][1])
  end
  -- Only when the oldest entry is older than minid: XREVRANGE from an id below every
  -- entry scans the whole stream (Redis seeks to the last node and walks back), which
  -- made each append O(stream length).
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
  if first[1] and tonumber(string.match(first[1][1], '^(%d+)')) < nowms - ttl then
    local old = redis.call('XREVRANGE', key, '(' .. minid, '-', 'COUNT', 1)
    if old[1] then
      removed = old[1][1]
      redis.call('XTRIM', key, 'MINID', minid)
    end
  end
  if removed then
    redis.call('SET', wkey, removed)
  end
  if expire then
    redis.call('PEXPIRE', key, ttl)
    redis.call('PEXPIRE', wkey, ttl)
  end
end

local head = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local before = head[1] and head[1][1] or '0-0'
local out = {}
local touched = {}
local seen = {}
local added = 0
local k = 3
local a = 4
for i = 1, n do
  local dedup = KEYS[k]
  local typ, chan, json, uris, nstreams = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4])
  k = k + 1
  a = a + 5
  local existing = redis.call('GET', dedup)
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 1
    k = k + 2 * nstreams
  else
    local id = redis.call('XADD', KEYS[1], '*', 't', typ, 'c', chan, 'r', json, 'u', uris)
    redis.call('SET', dedup, id, 'PX', ttl)
    for j = 1, nstreams do
      local key = KEYS[k]
      if not seen[key] then
        seen[key] = true
        touched[#touched + 1] = k
      end
      k = k + 2
      -- cannot fail: a resource stream only ever gets ids the firehose issued, in order
      redis.pcall('XADD', key, id, 't', typ, 'c', chan, 'r', json)
    end
    added = added + 1
    out[#out + 1] = id
    out[#out + 1] = 0
  end
end
if added > 0 then
  trim(KEYS[1], KEYS[2], false)
  for _, ki in ipairs(touched) do
    trim(KEYS[ki], KEYS[ki + 1], true)
  end
end
out[#out + 1] = before
return out
`;

export const APPEND_SCRIPT = new LuaScript(APPEND_LUA);
