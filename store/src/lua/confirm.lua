-- Confirm: the client has the payload of its claim. The claim is spent (a later retry with it
-- gets nothing), and once every view is used and no other claim is inside its window, the
-- payload is deleted now instead of at the window's end. Needs payload.lua prepended.
-- KEYS[1]: the record; KEYS[2]: the payload key.
-- ARGV: claim verifier, now (unix ms).
-- Returns 1 when the claim was live, 0 otherwise.
local claim = 'c:' .. ARGV[1]
local held = redis.call('HGET', KEYS[1], claim)
local now = tonumber(ARGV[2])
if not held or tonumber(held) <= now then return 0 end
redis.call('HSET', KEYS[1], claim, 0)
local f = redis.call('HMGET', KEYS[1], 'vm', 'vu', 'mv')
if tonumber(f[2]) >= tonumber(f[1]) and live_claims(now) == 0 then
  redis.call('UNLINK', KEYS[2])
  if not f[3] then redis.call('UNLINK', KEYS[1]) end
end
return 1
