/**
 * The Lua script that reads one page of a catch-up read, atomically, in one
 * round trip: optionally each stream's watermark and existence (to tell an
 * expired cursor), optionally the firehose's newest id (the head, so a read
 * that reaches the end of every stream can move its cursor up to it), and one
 * page of each stream after (or before) a bound.
 *
 * One script call instead of an ioredis MULTI: the same read through MULTI
 * kept its replies alive long enough for the young generation to promote them,
 * about ten times what one command's reply costs (bench notes, item 16).
 *
 * KEYS: [firehose, then per stream: stream key, watermark key]
 * ARGV: [direction ('asc': XRANGE from the bound up; 'desc': XREVRANGE from the bound down),
 *        bound (an XRANGE/XREVRANGE id: '(' exclusive, '+' or '-'), page size,
 *        check ('1': watermarks and existence first), head ('1': the firehose's newest id)]
 * Returns a flat array: when checking, per stream its watermark (nil when none) and EXISTS (0/1);
 * when asked, the head id ('0-0' when the firehose is empty); then per stream its page of entries.
 */
import { LuaScript } from '../redis/script';

export const READ_PAGE_LUA = `
local asc = ARGV[1] == 'asc'
local bound = ARGV[2]
local page = ARGV[3]
local n = (#KEYS - 1) / 2
local out = {}
if ARGV[4] == '1' then
  for s = 1, n do
    out[#out + 1] = redis.call('GET', KEYS[2 * s + 1])
    out[#out + 1] = redis.call('EXISTS', KEYS[2 * s])
  end
end
if ARGV[5] == '1' then
  local head = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  out[#out + 1] = head[1] and head[1][1] or '0-0'
end
for s = 1, n do
  if asc then
    out[#out + 1] = redis.call('XRANGE', KEYS[2 * s], bound, '+', 'COUNT', page)
  else
    out[#out + 1] = redis.call('XREVRANGE', KEYS[2 * s], bound, '-', 'COUNT', page)
  end
end
return out
`;

export const READ_PAGE_SCRIPT = new LuaScript(READ_PAGE_LUA);
