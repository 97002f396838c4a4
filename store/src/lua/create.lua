-- Create: writes a secret's record and its payload with their TTL unless the alias is taken,
-- atomically (no other client can claim the alias between the check and the write).
-- KEYS[1]: the record `{prefix}s:{<alias>}`; KEYS[2]: the payload `{prefix}p:{<alias>}` (the
-- same hash tag, so both live on one cluster slot).
-- ARGV: id, payload, ttl ms, max views, passphrase tries, expires (unix s),
--       then [field, value]... (the verifiers `av`, `pv`, `mv` and the claim window `cw`
--       that are set).
-- Returns 1 on success, 0 if the alias is taken.
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'vm', ARGV[4], 'vu', 0, 'pt', ARGV[5], 'ex', ARGV[6], 'st', 'w', 'sz', #ARGV[2])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
