-- GET the URL's path with the Public API bearer token (BENCH_TOKEN).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. bench.env("BENCH_TOKEN")
wrk.headers["Accept"] = "application/json"
