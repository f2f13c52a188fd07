#!/usr/bin/env python3
"""Start-up of Sluice builds side by side, on new stores and on stores of many destinations.

    Benchmarks/startup.py seed --bin BIN --database sqlite:PATH --destinations 20000
    Benchmarks/startup.py time --runs 10 BIN=fresh BIN=sqlite:PATH [BIN=...]

`seed` starts BIN on the store, creates a source and that many Amplitude destinations through the
Public API (8 connections, each with a secret apiKey), and stops it. `time` measures, for each
BIN=STORE pair in turn, the time from exec to the first 200 on /healthz with the harness's own
`startup_times` (one warm-up start first, then `--runs` starts; `fresh` is a new SQLite store for
each start) and prints the median, minimum and maximum. Seed a store with the build that will read
it: an older build may not open a store a newer one migrated. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import http.client
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def add_destinations(port: int, destinations: int, slug: str, kind: str = bench.AMPLITUDE) -> str:
    """Creates a source and that many destinations of the catalog entry `kind` on it (Amplitude by default; 8
    connections); returns the source's first write key."""
    api = bench.Client(port, {"Authorization": f"Bearer {bench.TOKEN}"})
    made = api.json("POST", "/sources", {"slug": slug, "name": slug, "enabled": True, "metadataId": bench.HTTP_API_SOURCE},
                    expect=(200, 201))
    source = made["data"]["source"]
    api.close()
    failures: list[str] = []

    def create(first: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(first, destinations, 8):
            settings = {"apiKey": f"amplitude-key-{i:08d}"} if kind == bench.AMPLITUDE else {}
            body = json.dumps({"sourceId": source["id"], "metadataId": kind, "name": f"{slug} {i}", "enabled": True,
                               "settings": settings})
            connection.request("POST", "/destinations", body=body, headers={
                "Authorization": f"Bearer {bench.TOKEN}", "Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            if response.status not in (200, 201):
                failures.append(f"{response.status} {payload[:200]!r}")
                return
        connection.close()

    threads = [threading.Thread(target=create, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"POST /destinations failed: {failures[0]}")
    return source["writeKeys"][0]


def seed(binary: str, database: str, destinations: int, work: Path) -> None:
    port = bench.free_port()
    server = bench.Server("sluice", bench.sluice_argv(binary, port, database), port, work / "seed.log").start()
    try:
        add_destinations(port, destinations, f"startup-{os.getpid()}")
    finally:
        server.stop()
    print(f"{database}: {destinations:,} destinations added", flush=True)


def time_starts(pairs: list[str], runs: int, work: Path) -> None:
    for pair in pairs:
        binary, _, store = pair.partition("=")
        if not store:
            raise SystemExit(f"expected BIN=STORE, got {pair!r}")
        counter = [0]

        def database(_: int) -> str:
            if store != "fresh":
                return store
            counter[0] += 1
            return f"sqlite:{work}/fresh-{counter[0]}.sqlite"

        bench.startup_times(binary, database, 1, work)  # the page cache and the store's WAL, as after any first start
        times = bench.startup_times(binary, database, runs, work)
        print(f"{binary}  {store}: median {statistics.median(times) * 1000:.0f} ms, "
              f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} ({runs} starts)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed", help="add destinations to a store")
    seeding.add_argument("--bin", required=True)
    seeding.add_argument("--database", required=True, help="sqlite:PATH")
    seeding.add_argument("--destinations", type=int, default=1000)
    timing = commands.add_parser("time", help="start-up of each BIN=STORE pair")
    timing.add_argument("--runs", type=int, default=10)
    timing.add_argument("pairs", nargs="+", metavar="BIN=STORE")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sluice-startup-"))
    if args.command == "seed":
        seed(args.bin, args.database, args.destinations, work)
    else:
        time_starts(args.pairs, args.runs, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
