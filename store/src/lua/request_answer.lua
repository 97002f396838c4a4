-- Answer a request: records its one answer while it is open, atomically, and makes the record
-- live as long as the answer.
-- KEYS[1]: the record `{prefix}q:{<alias>}`.
-- ARGV: answer verifier, the answer secret's alias, its id, its key box, answered at (unix s),
--       the answer's ttl ms, its expiry (unix s).
-- Returns 0 unknown or expired, 1 wrong proof, 2 answered now, 3 answered before,
-- 4 cancelled.
local f = redis.call('HMGET', KEYS[1], 'bv', 'st')
if not f[1] then return 0 end
if not eq(f[1], ARGV[1]) then return 1 end
if f[2] == 'a' then return 3 end
if f[2] == 'c' then return 4 end
redis.call('HSET', KEYS[1], 'st', 'a', 'aa', ARGV[2], 'ai', ARGV[3], 'kb', ARGV[4], 'ta', ARGV[5], 'ex', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 2
