#!/usr/bin/env python3
"""`/v1/batch` ingest of Sluice builds side by side, on each kind of store, with destinations on the source.

    Benchmarks/ingest.py --destinations 5000 [--kind amplitude|undeliverable] --rounds 2 BIN=memory BIN=file [BIN=...]

For each round and each BIN=STORE pair in turn (`memory` is `--database memory`, `file` a new
SQLite file in a temporary folder), starts BIN, creates a source with that many Amplitude
destinations (or, with `--kind undeliverable`, AppNexus ones: a catalog entry Sluice does not deliver
to) through the Public API (`startup.py`'s seeding), then runs the harness's wrk workload
on `/v1/batch` (`wrk/batch.lua`: 100 track events a request, 2 threads, 16 connections) for
`--seconds`, and prints events a second and p99. The events are not delivered anywhere (no
destination of the source has a subscription), so what is measured is ingest with routing behind
it on the same two cores. Any non-2xx answer fails the run. Only 127.0.0.1 is contacted.

With `--max-routing-backlog N` (or `off`) the servers run with that bound (issue 20's back-pressure): a 503 is then
expected once routing falls behind, and the run prints the events accepted a second (2xx answers only:
what ingest and routing sustain together), the requests refused (each must be one the server counted in
`sluice_ingest_backpressure_total`; any other error fails the run) and the most events seen waiting
to be routed (`sluice_events_pending`, read every 250 ms, printed for every run), which the bound keeps
near N.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import startup  # noqa: E402


def measure(binary: str, store: str, destinations: int, seconds: int, work: Path, run: int, kind: str,
            backlog: str | None) -> str:
    database = "memory" if store == "memory" else f"sqlite:{work}/ingest-{run}.sqlite"
    port = bench.free_port()
    argv = bench.sluice_argv(binary, port, database) + (["--max-routing-backlog", backlog] if backlog else [])
    bounded = backlog not in (None, "off")
    server = bench.Server("sluice", argv, port, work / f"ingest-{run}.log").start()
    try:
        write_key = startup.add_destinations(port, destinations, f"ingest-{run}", kind)
        basic = base64.b64encode(f"{write_key}:".encode()).decode()
        workload = bench.Workload("batch", "POST /v1/batch", "batch.lua", "/v1/batch", ("POST", "/v1/batch"), per_request=100)
        with bench.PeakSampler(lambda: bench.pending_events(port), 0.25) as watch:
            r = bench.run_wrk(port, workload, seconds, 16, 2, server.pid, {"BENCH_BASIC": basic}, work / "wrk.log")
        refused = bench.backpressure_refusals(port) if bounded else 0
        # Every error wrk saw must be a refusal the server counted; the server may count a few more (answers
        # still on their way when wrk stopped: at most one a connection).
        bench.take_out_refusals(r, refused)
        if r["errors"] or refused - r.get("refused", 0) > 16:
            raise RuntimeError(f"wrk saw {r['errors']} errors besides {r.get('refused', 0)} refusals; the server "
                               f"refused {refused} for the backlog: see {work / 'wrk.log'}")
    finally:
        server.stop()
    refused = r.get("refused", 0)
    accepted = r["rps"] * workload.per_request
    result = f"{accepted:,.0f} events/s, p99 {r['p99_us'] / 1000:.1f} ms"
    if bounded:
        result += f", {refused:,} requests refused"
    result += f", at most {watch.peak:,.0f} events waiting to be routed"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--destinations", type=int, default=0)
    parser.add_argument("--kind", choices=("amplitude", "undeliverable"), default="amplitude")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--max-routing-backlog", default=None, metavar="N|off",
                        help="run the servers with this bound (a 503 answer is then expected), or off for none")
    parser.add_argument("pairs", nargs="+", metavar="BIN=STORE", help="STORE is memory or file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sluice-ingest-"))
    run = 0
    for round_number in range(1, args.rounds + 1):
        for pair in args.pairs:
            binary, _, store = pair.partition("=")
            if store not in ("memory", "file"):
                raise SystemExit(f"expected BIN=memory or BIN=file, got {pair!r}")
            run += 1
            kind = bench.AMPLITUDE if args.kind == "amplitude" else bench.UNDELIVERABLE
            result = measure(binary, store, args.destinations, args.seconds, work, run, kind, args.max_routing_backlog)
            print(f"round {round_number}  {binary}  {store}, {args.destinations:,} {args.kind} destinations: {result}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
