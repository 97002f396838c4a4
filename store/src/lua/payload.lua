-- payload(): whether the secret's payload is stored, moving a payload written by an earlier
-- version (field `p` of the record) to its own key first. Prepended to the scripts that need
-- it; runs nothing itself. KEYS[1]: the record; KEYS[2]: the payload key.
local function payload()
  if redis.call('EXISTS', KEYS[2]) == 1 then return true end
  local legacy = redis.call('HGET', KEYS[1], 'p')
  if not legacy then return false end
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl <= 0 then return false end
  redis.call('SET', KEYS[2], legacy, 'PX', ttl)
  redis.call('HDEL', KEYS[1], 'p')
  redis.call('HSET', KEYS[1], 'sz', #legacy)
  return true
end
-- latest_claim(): the end of the latest claim's window (unix ms), 0 without claims.
local function latest_claim()
  local latest = 0
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'c:' then latest = math.max(latest, tonumber(all[i + 1])) end
  end
  return latest
end
-- live_claims(now): how many claims are still inside their window.
local function live_claims(now)
  local n = 0
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'c:' and tonumber(all[i + 1]) > now then n = n + 1 end
  end
  return n
end
