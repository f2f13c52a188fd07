-- POST /destinations with the body in BENCH_BODY_FILE (an Amplitude destination on the writes
-- source); every request creates a destination, committed before its 201.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = "/destinations"
wrk.body = bench.read_file(bench.env("BENCH_BODY_FILE"))
wrk.headers["Authorization"] = "Bearer " .. bench.env("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
