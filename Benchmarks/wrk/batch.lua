-- POST /v1/batch with 100 track events a request, the write key as the HTTP Basic user
-- (BENCH_WRITE_KEY). Events per second = requests per second x 100; each answer comes after
-- its events are committed.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local per_request = tonumber(bench.env("BENCH_EVENTS_PER_REQUEST", "100"))
local events = {}
for i = 1, per_request do
  events[i] = string.format(
    '{"type":"track","userId":"user-%d","event":"Bench Event","properties":{"index":%d,"revenue":%d.5,' ..
    '"plan":"pro","tags":["a","b"]},"context":{"library":{"name":"wrk","version":"4.1.0"}}}',
    i % 97, i, i)
end
wrk.method = "POST"
wrk.path = "/v1/batch"
wrk.body = '{"batch":[' .. table.concat(events, ",") .. ']}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. bench.env("BENCH_BASIC")
