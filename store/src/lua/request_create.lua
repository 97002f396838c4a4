-- Create a request: writes its record with its TTL unless the alias is taken, atomically.
-- KEYS[1]: the record `{prefix}q:{<alias>}`.
-- ARGV: id, sealed note, answer verifier, inbox verifier, ttl ms, answer ttl (s),
--       expires (unix s).
-- Returns 1 on success, 0 if the alias is taken.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'n', ARGV[2], 'bv', ARGV[3], 'iv', ARGV[4], 'at', ARGV[6], 'ex', ARGV[7], 'st', 'o')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
