-- wrk script for bench/soak.py: cycles through the paths listed in SOAK_PATHS_FILE
-- (one per line: "/" and entry pages) and prints a JSON summary at the end.
local paths = {}
local file = assert(io.open(os.getenv("SOAK_PATHS_FILE"), "r"))
for line in file:lines() do
  if line ~= "" then table.insert(paths, line) end
end
file:close()

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7)
end

local i = 0
function request()
  i = i + 1
  local path = paths[((i + (offset or 0)) % #paths) + 1]
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SOAK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_ms": {"p50": %.2f, "p90": %.2f, "p99": %.2f, "max": %.2f, "mean": %.2f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
