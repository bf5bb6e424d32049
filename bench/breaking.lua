-- wrk script for bench/breaking.py: each request picks a path by weight from BREAKING_PATHS_FILE
-- (one "<weight> <path>" a line) and a JSON summary is printed at the end.
--
-- The weights are expanded into a table of slots, so a pick is one random index (no loop per
-- request); each wrk thread seeds its own generator.
local slots = {}
local file = assert(io.open(os.getenv("BREAKING_PATHS_FILE"), "r"))
for line in file:lines() do
  local weight, path = line:match("^(%d+)%s+(%S+)$")
  if weight then
    for _ = 1, tonumber(weight) do table.insert(slots, path) end
  end
end
file:close()
assert(#slots > 0, "no paths in BREAKING_PATHS_FILE")

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0) * 7919)
end

function request()
  return wrk.format("GET", slots[math.random(#slots)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BREAKING_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_ms": {"p50": %.2f, "p90": %.2f, "p99": %.2f, "max": %.2f, "mean": %.2f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
