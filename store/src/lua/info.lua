-- Info: what a recipient may know before revealing; changes nothing.
-- KEYS[1]: the record; KEYS[2]: the payload key.
-- Returns {} when there is nothing to reveal, else {id, views max, views used, has access
-- verifier, has passphrase verifier, tries left}.
local f = redis.call('HMGET', KEYS[1], 'id', 'vm', 'vu', 'av', 'pv', 'pt', 'st')
if not f[1] or f[7] ~= 'w' or tonumber(f[3]) >= tonumber(f[2]) then return {} end
if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('HEXISTS', KEYS[1], 'p') == 0 then return {} end
return {f[1], f[2], f[3], f[4] and 1 or 0, f[5] and 1 or 0, f[6] or '0'}
