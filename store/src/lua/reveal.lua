-- Reveal: checks the verifiers and claims a view in one step, so no secret is served more
-- often than allowed. The client names its claim (the SHA-256 of a nonce it chose): a new
-- claim counts a view; the same claim again, with the same access proof and inside its
-- window, is a redelivery of that view and counts nothing. The payload itself is read
-- afterwards, outside this step (it may be megabytes). The last view does not delete the
-- payload: it stays for the claim's window, then Redis expires it (or a confirm deletes it).
-- A wrong passphrase uses up a try; the last try burns the secret. A small payload (up to
-- ARGV[7] bytes) comes back in this step's reply: one round trip. The claim is recorded even
-- then, so that a reply lost on its way can still be asked for again (or given back).
-- Needs eq.lua and payload.lua prepended.
-- KEYS[1]: the record; KEYS[2]: the payload key.
-- ARGV: expected id or '', access verifier or '', passphrase verifier or '', now (unix ms),
--       claim verifier, window ms, largest inline payload, and a shorter window ms (or '')
--       for a claim answered inline that only the store itself holds. A secret's own window
--       (field `cw`, set when it has file data to download) lengthens a client's claims.
-- Returns {'ok', id, views left, size, 'new'|'again', ms until the last claim's window ends
--         (when no view is left; else this claim's window), payload if inline} |
--         {'gone'} | {'key'} | {'pass', tries} | {'wrongpass', tries} | {'burned'}.
local f = redis.call('HMGET', KEYS[1], 'id', 'vm', 'vu', 'av', 'pv', 'pt', 'mv', 'st', 'sz', 'cw')
if not f[1] then return {'gone'} end
if ARGV[1] ~= '' and f[1] ~= ARGV[1] then return {'gone'} end
if not payload() then return {'gone'} end
f[9] = redis.call('HGET', KEYS[1], 'sz') or '0'
if f[4] and not eq(ARGV[2], f[4]) then return {'key'} end
local now = tonumber(ARGV[4])
local claim = 'c:' .. ARGV[5]
local inline = tonumber(f[9]) <= tonumber(ARGV[7])
local function body()
  if inline then return redis.call('GET', KEYS[2]) end
  return nil
end
local held = redis.call('HGET', KEYS[1], claim)
if held then
  -- This claim was made before: its view is delivered again while its window lasts.
  if tonumber(held) <= now then return {'gone'} end
  local left = tonumber(f[2]) - tonumber(f[3])
  local until_ms = tonumber(held) - now
  if left <= 0 then until_ms = math.max(latest_claim() - now, 1) end
  return {'ok', f[1], tostring(math.max(left, 0)), f[9], 'again', tostring(until_ms), body()}
end
if f[8] ~= 'w' or tonumber(f[3]) >= tonumber(f[2]) then return {'gone'} end
local function retire(state)
  redis.call('UNLINK', KEYS[2])
  if f[7] then
    redis.call('HSET', KEYS[1], 'st', state)
  else
    redis.call('UNLINK', KEYS[1])
  end
end
if f[5] then
  if ARGV[3] == '' then return {'pass', f[6]} end
  if not eq(ARGV[3], f[5]) then
    local left = redis.call('HINCRBY', KEYS[1], 'pt', -1)
    if left <= 0 then
      retire('b')
      return {'burned'}
    end
    return {'wrongpass', tostring(left)}
  end
end
local used = redis.call('HINCRBY', KEYS[1], 'vu', 1)
local left = tonumber(f[2]) - used
-- The store's own claim, answered inline, is held only long enough to be given back if the
-- reply is lost on the way to the server; then the payload expires with it.
local window = tonumber(ARGV[6])
if f[10] then window = math.max(window, tonumber(f[10])) end
if inline and ARGV[8] ~= '' then window = tonumber(ARGV[8]) end
redis.call('HSET', KEYS[1], claim, now + window)
if f[7] then
  local opened = redis.call('HGET', KEYS[1], 'op') or ''
  redis.call('HSET', KEYS[1], 'op', opened .. math.floor(now / 1000) .. ',')
end
local keep = window
if left <= 0 then keep = math.max(latest_claim() - now, 1) end
local reply = {'ok', f[1], tostring(math.max(left, 0)), f[9], 'new', tostring(keep), body()}
if left <= 0 then
  -- Held until the latest claim's window ends (an earlier claim may have a longer one); the
  -- record too when the sender cannot ask about it.
  if f[7] then redis.call('HSET', KEYS[1], 'st', 'o') end
  for _, key in ipairs(f[7] and {KEYS[2]} or KEYS) do
    if redis.call('PTTL', key) > keep then redis.call('PEXPIRE', key, keep) end
  end
end
return reply
