-- wrk: GET /api/secrets/{alias} over aliases created beforehand (one per line in
-- $ONCELINK_BENCH_ALIASES); each thread takes its own slice and reads each alias once,
-- then stops, so wrk's rate is over the time the secrets lasted (no 404s counted).
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
end
function request()
  if counter > #aliases then
    wrk.thread:stop()
    return wrk.format("GET", "/api/health")
  end
  local alias = aliases[counter]
  counter = counter + step
  return wrk.format("GET", "/api/secrets/" .. alias)
end
