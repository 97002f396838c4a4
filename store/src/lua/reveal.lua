-- Reveal: checks the access and passphrase verifiers and counts a view in one step, so
-- no secret is served more often than allowed; a wrong passphrase uses up a try, the last
-- try burns the secret, the last view retires it. Needs eq.lua prepended.
-- KEYS[1]: the secret key `{prefix}s:{<alias>}`.
-- ARGV: expected id or '', access verifier or '', passphrase verifier or '', now (unix s).
-- Returns {'ok', id, payload, views left} | {'gone'} | {'key'} | {'pass', tries} |
--         {'wrongpass', tries} | {'burned'}.
local f = redis.call('HMGET', KEYS[1], 'id', 'p', 'vm', 'vu', 'av', 'pv', 'pt', 'mv')
if not f[1] or not f[2] then return {'gone'} end
if ARGV[1] ~= '' and f[1] ~= ARGV[1] then return {'gone'} end
local function retire(state)
  if f[8] then
    redis.call('HDEL', KEYS[1], 'p')
    redis.call('HSET', KEYS[1], 'st', state)
  else
    redis.call('UNLINK', KEYS[1])
  end
end
if f[5] and not eq(ARGV[2], f[5]) then return {'key'} end
if f[6] then
  if ARGV[3] == '' then return {'pass', f[7]} end
  if not eq(ARGV[3], f[6]) then
    local left = redis.call('HINCRBY', KEYS[1], 'pt', -1)
    if left <= 0 then
      retire('b')
      return {'burned'}
    end
    return {'wrongpass', tostring(left)}
  end
end
local used = redis.call('HINCRBY', KEYS[1], 'vu', 1)
local left = tonumber(f[3]) - used
if f[8] then
  local opened = redis.call('HGET', KEYS[1], 'op') or ''
  redis.call('HSET', KEYS[1], 'op', opened .. ARGV[4] .. ',')
end
if left <= 0 then retire('o') end
return {'ok', f[1], f[2], tostring(math.max(left, 0))}
