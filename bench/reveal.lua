-- wrk: GET /api/secrets/{alias} over aliases created beforehand (one per line in
-- $ONCELINK_BENCH_ALIASES); each thread takes its own slice, each alias is read once.
local aliases = {}
for line in io.lines(os.getenv("ONCELINK_BENCH_ALIASES")) do aliases[#aliases + 1] = line end
local counter = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function init(args)
  step = tonumber(os.getenv("ONCELINK_BENCH_THREADS") or "2")
  counter = offset
end
function request()
  counter = counter + step
  local alias = aliases[(counter % #aliases) + 1]
  return wrk.format("GET", "/api/secrets/" .. alias)
end
