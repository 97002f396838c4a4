-- Destroy: deletes the ciphertext if the manage verifier matches, keeping the record
-- (state 'd') for the sender's status page; check and delete are one step. Needs eq.lua
-- prepended.
-- KEYS[1]: the secret key `{prefix}s:{<alias>}`.
-- ARGV[1]: the manage verifier presented.
-- Returns 'ok' | 'already' | 'token' | 'gone'.
local f = redis.call('HMGET', KEYS[1], 'id', 'mv', 'p')
if not f[1] then return 'gone' end
if not eq(ARGV[1], f[2]) then return 'token' end
if not f[3] then return 'already' end
redis.call('HDEL', KEYS[1], 'p')
redis.call('HSET', KEYS[1], 'st', 'd')
return 'ok'
