-- wrk script for the demo server's soak run (issue 9): a weighted mix of every endpoint, POST for /legacy,
-- and a count of responses per status code printed by done() for SoakTest (and benchmarks/soak.sh) to parse.
-- Usage: wrk -t2 -c64 -d30s --latency --timeout 30s -s soak.lua http://127.0.0.1:PORT -- SEED
-- The per-thread random sequence is seeded with SEED + thread number: a run's mix can be replayed.

-- weight, then a function returning the request; ms values stay small so the mix is dominated by the server's
-- own work (scheduling, gather, the bridge), not by waiting.
local mix = {
  {40, function() return wrk.format("GET", "/sleep?ms=" .. math.random(0, 20)) end},
  {25, function() return wrk.format("GET", "/fanout?n=" .. math.random(1, 50) .. "&ms=" .. math.random(0, 10)) end},
  {20, function() return wrk.format("POST", "/legacy?jobs=" .. math.random(1, 8) .. "&ms=" .. math.random(0, 10)) end},
  {10, function() return wrk.format("GET", "/healthz") end},
  {5,  function() return wrk.format("GET", "/metrics") end},
}
local total_weight = 0
for _, m in ipairs(mix) do total_weight = total_weight + m[1] end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  seed = tonumber(args[1]) or 1
  math.randomseed(seed + id)
  statuses = {}
end

function request()
  local r = math.random(1, total_weight)
  for _, m in ipairs(mix) do
    r = r - m[1]
    if r <= 0 then return m[2]() end
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- Machine-readable summary, one "soak:" line per fact (latency in microseconds).
function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  for status, n in pairs(counts) do
    io.write(string.format("soak: status %d %d\n", status, n))
  end
  local e = summary.errors
  io.write(string.format("soak: requests %d\n", summary.requests))
  io.write(string.format("soak: duration_us %d\n", summary.duration))
  io.write(string.format("soak: errors connect=%d read=%d write=%d status=%d timeout=%d\n",
      e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("soak: latency_us p50=%d p99=%d max=%d\n",
      latency:percentile(50), latency:percentile(99), latency.max))
end
