-- Shared by every workload script: reads the harness's environment, and at the end prints one
-- line the harness parses (BENCH {json}): requests, duration, latency percentiles in µs, errors.
-- wrk counts an answer outside 2xx/3xx as a status error; the harness fails a workload on any.

bench = {}

function bench.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    if default == nil then error("wrk script: " .. name .. " is not set") end
    return default
  end
  return value
end

function bench.read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function bench.read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
