-- Destroy: deletes the payload if the manage verifier matches, keeping the record (state 'd')
-- for the sender's status page; check and delete are one step. Needs eq.lua and payload.lua
-- prepended.
-- KEYS[1]: the record; KEYS[2]: the payload key.
-- ARGV[1]: the manage verifier presented.
-- Returns 'ok' | 'already' | 'token' | 'gone'.
local f = redis.call('HMGET', KEYS[1], 'id', 'mv', 'st')
if not f[1] then return 'gone' end
if not eq(ARGV[1], f[2]) then return 'token' end
if f[3] ~= 'w' or not payload() then return 'already' end
redis.call('UNLINK', KEYS[2])
redis.call('HSET', KEYS[1], 'st', 'd')
return 'ok'
