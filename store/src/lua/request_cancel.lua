-- Cancel a request: it takes no answer any more; the record stays until it expires.
-- KEYS[1]: the record `{prefix}q:{<alias>}`. ARGV: the inbox verifier.
-- Returns {0} unknown or expired, {1} wrong proof, {2, answer alias or ''} cancelled now,
-- {3, answer alias or ''} cancelled before.
local f = redis.call('HMGET', KEYS[1], 'iv', 'st', 'aa')
if not f[1] then return {0} end
if not eq(f[1], ARGV[1]) then return {1} end
if f[2] == 'c' then return {3, f[3] or ''} end
redis.call('HSET', KEYS[1], 'st', 'c')
return {2, f[3] or ''}
