-- Release: gives back a view the server claimed for a client that cannot retry (a reference
-- read) when the payload could not be read afterwards: the view is uncounted and the
-- payload keeps its original lifetime. Needs payload.lua prepended.
-- KEYS[1]: the record; KEYS[2]: the payload key.
-- ARGV: claim verifier, now (unix ms).
-- Returns 1 when the view was given back, 0 otherwise.
local claim = 'c:' .. ARGV[1]
local held = redis.call('HGET', KEYS[1], claim)
if not held then
  -- The reveal has not run yet (its reply timed out while it waited in a queue): mark the
  -- claim spent, so that when it does run it counts nothing.
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], claim, 0) end
  return 0
end
if tonumber(held) <= tonumber(ARGV[2]) or redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
redis.call('HDEL', KEYS[1], claim)
redis.call('HINCRBY', KEYS[1], 'vu', -1)
local f = redis.call('HMGET', KEYS[1], 'ex', 'op', 'st')
if f[2] then redis.call('HSET', KEYS[1], 'op', (string.gsub(f[2], '%d+,$', ''))) end
if f[3] == 'o' then redis.call('HSET', KEYS[1], 'st', 'w') end
local at = tonumber(f[1]) * 1000
redis.call('PEXPIREAT', KEYS[1], at)
redis.call('PEXPIREAT', KEYS[2], at)
return 1
