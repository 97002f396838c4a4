-- Count: adds to a fixed-window counter and starts its window on first use, atomically
-- (the increment and the expiry cannot be split by a crash or another client).
-- KEYS[1]: the counter key.
-- ARGV[1]: the amount to add; ARGV[2]: the window in ms.
-- Returns {count, ms left in the window}.
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n < 0 then
  -- A refund larger than what the window holds (it started after the charge): never below 0.
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
  n = 0
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {n, ttl}
