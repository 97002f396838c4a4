-- Held: whether a claim on this secret is live and comes with the right access proof, which is
-- what a download of the secret's file data must show. Counts nothing, changes nothing.
-- Needs eq.lua prepended. KEYS[1]: the record; KEYS[2]: the payload key.
-- ARGV: access verifier or '', claim verifier, now (unix ms).
-- Returns the secret id, or nil.
local f = redis.call('HMGET', KEYS[1], 'id', 'av')
if not f[1] then return false end
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
if f[2] and not eq(ARGV[1], f[2]) then return false end
local held = redis.call('HGET', KEYS[1], 'c:' .. ARGV[2])
if not held or tonumber(held) <= tonumber(ARGV[3]) then return false end
return f[1]
