-- PATCH /destinations/{id}: round-robin over the ids in BENCH_IDS_FILE, each request a new name
-- and a settings change (so every one is a real write with its audit event).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local ids = bench.read_lines(bench.env("BENCH_IDS_FILE"))
local token = bench.env("BENCH_TOKEN")
local counter = 0
local headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
}

function setup(thread)
  -- distinct starting points per thread, so that threads do not walk the same ids in step
  thread:set("offset", math.random(1, 1000000))
end

function init(args)
  counter = tonumber(offset) or 0
end

function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = string.format('{"name":"bench patched %d","settings":{"apiKey":"patched-key-%08d"}}', counter, counter)
  return wrk.format("PATCH", "/destinations/" .. id, headers, body)
end
