-- wrk: GET /api/secrets/{alias} over aliases created beforehand (one per line in
-- $ONCELINK_BENCH_ALIASES); each thread takes its own slice and reads each alias once.
-- delay() claims the next alias before wrk asks for the request (so two connections never
-- race for the last one); once a thread's slice is used up its connections go idle (a long
-- delay) rather than stop, so reads in flight finish and no 404s are counted. bench/api.py
-- takes the rate from the server's count of reveals, then interrupts wrk.
local aliases = {}
for line in io.lines(os.getenv("ONCELINK_BENCH_ALIASES")) do aliases[#aliases + 1] = line end
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function init(args)
  step = tonumber(os.getenv("ONCELINK_BENCH_THREADS") or "2")
  counter = offset + 1
  claimed = {}
end
local function claim()
  if counter > #aliases then return false end
  claimed[#claimed + 1] = aliases[counter]
  counter = counter + step
  return true
end
function delay()
  if claim() then return 0 end
  return 3600000
end
function request()
  -- delay() runs before every real request; wrk also calls request() once per thread before
  -- any connection starts, to check the script. That call must not use up an alias.
  if #claimed == 0 then
    return wrk.format("GET", "/api/health")
  end
  return wrk.format("GET", "/api/secrets/" .. table.remove(claimed, 1))
end
