#!/usr/bin/env python3
"""End-to-end delivery throughput of Sluice builds or settings side by side: events in, delivered to a local receiver.

    Benchmarks/delivery.py --ceiling CEILING --events 20000 --rounds 3 [--batch-size 100] \\
        'BIN --event-log on' 'BIN --event-log off'

Each argument is a sluice binary followed by extra `serve` flags. For each round and each argument in turn, starts
that server on a new SQLite file (a temporary folder), creates a source with one Webhooks (Actions) destination whose
one subscription sends every track event to the receiver (`SluiceBenchCeiling`, answering `POST /hook` with 200 and
an empty body), posts `--events` track events through `/v1/batch` (100 a request, 4 connections), and times from the
first request until `/metrics` counts them all delivered. With `--batch-size N` the subscription batches N events a
request. With `--delivery-only` the destination is paused (`POST /sluice/destinations/{id}/delivery/pause`) while the
events are posted and routed, and the clock starts when it is resumed: the rate is then the delivery stage's alone
(claiming, sending, committing outcomes), not shared with ingest and routing. Prints events delivered a second for each
run; nothing is asserted. With `--io`, also prints, per event delivered, the bytes the server wrote to storage while it
was timed (`write_bytes` of `/proc/PID/io`: its WAL, its checkpoints into the database file, and any log) and the CPU
time it used meanwhile (user and system, `/proc/PID/stat`): both move less with the machine's load than the rate does.
With `--profile perf`, the timed stage of each run is profiled as `Benchmarks/bench.py --profile perf` does
(profile-delivery-RUN.perf.txt in the work folder, which is printed); a profiled run's rate is not the benchmark's.
Each run's SQLite store is removed once it is measured (most of a gigabyte at a few hundred thousand events), unless
`--keep`; a run that fails keeps its store, and every run keeps its log. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def delivered(api: bench.Client) -> float:
    _, _, text = api.request("GET", "/metrics")
    return bench.metric(text.decode(), "sluice_delivery_attempts_total", 'outcome="success"')


def waiting_jobs(api: bench.Client) -> tuple[float, float]:
    """Events not yet routed, and delivery jobs waiting."""
    _, _, text = api.request("GET", "/metrics")
    return bench.metric(text.decode(), "sluice_events_pending"), bench.metric(text.decode(), "sluice_delivery_jobs_waiting")


def written(pid: int) -> int:
    """Bytes the process has caused to be written to storage (Linux's `/proc/PID/io`)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError(f"no write_bytes in /proc/{pid}/io")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (Linux's `/proc/PID/stat`, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(command: list[str], receiver_port: int, events: int, batch_size: int, work: Path, run: int,
            delivery_only: bool = False, profile: str | None = None, keep: bool = False) -> tuple[float, float, float]:
    """Events delivered a second, and bytes written to storage and CPU seconds used an event while timed.

    The run's SQLite store is removed once it is measured, unless `keep`; a run that fails leaves it for a look."""
    port = bench.free_port()
    argv = bench.sluice_argv(command[0], port, f"sqlite:{work}/delivery-{run}.sqlite") + command[1:]
    server = bench.Server("sluice", argv, port, work / f"delivery-{run}.log").start()
    try:
        api = bench.Client(port, {"Authorization": f"Bearer {bench.TOKEN}"})
        source = api.json("POST", "/sources", {"slug": f"delivery-{run}", "name": "delivery", "enabled": True,
                                               "metadataId": bench.HTTP_API_SOURCE}, expect=(200, 201))["data"]["source"]
        destination = api.json("POST", "/destinations", {
            "sourceId": source["id"], "metadataId": bench.WEBHOOKS, "name": "delivery", "enabled": True,
            "settings": {"sharedSecret": "delivery-bench-secret"}}, expect=(200, 201))["data"]["destination"]
        settings: dict = {"url": f"http://127.0.0.1:{receiver_port}/hook"}
        if batch_size > 1:
            settings.update({"enable_batching": True, "batch_size": batch_size})
        api.json("POST", f"/destinations/{destination['id']}/subscriptions", {
            "name": "delivery", "actionId": bench.WEBHOOK_SEND_ACTION, "trigger": 'type = "track"', "enabled": True,
            "settings": settings}, expect=(200, 201))
        control = f"/sluice/destinations/{destination['id']}/delivery"
        if delivery_only:
            api.json("POST", f"{control}/pause", {}, expect=(200,))
            bench.post_events(port, source["writeKeys"][0], events, 100, 4)  # raises on any non-2xx
            deadline = time.perf_counter() + 600
            while waiting_jobs(api) != (0, events):
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"the events were not all routed in 600 s: see {work}")
                time.sleep(0.05)
        with bench.Profiler(profile, work).run(f"delivery-{run}", server.pid):
            started, bytes_before, cpu_before = time.perf_counter(), written(server.pid), cpu_seconds(server.pid)
            if delivery_only:
                api.json("POST", f"{control}/resume", {}, expect=(200,))
            else:
                bench.post_events(port, source["writeKeys"][0], events, 100, 4)  # raises on any non-2xx
            while delivered(api) < events:
                if time.perf_counter() - started > 600:
                    raise RuntimeError(f"only {delivered(api):.0f} of {events} delivered in 600 s: see {work}")
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            bytes_written, cpu = written(server.pid) - bytes_before, cpu_seconds(server.pid) - cpu_before
        api.close()
    finally:
        server.stop()
    if not keep:
        # A measured run's store is of no more use, and at a few hundred thousand events it is most of a gigabyte.
        for path in work.glob(f"delivery-{run}.sqlite*"):
            path.unlink()
    return events / seconds, bytes_written / events, cpu / events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ceiling", required=True, help="the release SluiceBenchCeiling binary (the receiver)")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--delivery-only", action="store_true",
                        help="route every event while the destination is paused, then time its delivery alone")
    parser.add_argument("--io", action="store_true", help="also print the bytes written to storage and the CPU time used an event while timed")
    parser.add_argument("--profile", choices=["perf"], help="profile the server with perf while each run is timed")
    parser.add_argument("--keep", action="store_true", help="keep each run's SQLite store (removed once measured otherwise)")
    parser.add_argument("commands", nargs="+", metavar="'BIN [FLAGS]'")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sluice-delivery-"))
    responses = work / "responses"
    responses.mkdir()
    (responses / "hook.body").write_bytes(b"")
    (responses / "manifest.tsv").write_text("# METHOD\tPATH\tSTATUS\tCONTENT-TYPE\tFILE\nPOST\t/hook\t200\ttext/plain\thook.body\n")
    receiver_port = bench.free_port()
    receiver = bench.Server("ceiling", [args.ceiling, "--port", str(receiver_port), "--responses", str(responses)],
                            receiver_port, work / "ceiling.log").start()
    results: dict[str, list[float]] = {}
    run = 0
    try:
        for round_number in range(1, args.rounds + 1):
            for command in args.commands:
                run += 1
                rate, per_event, cpu = measure(shlex.split(command), receiver_port, args.events, args.batch_size, work, run,
                                          args.delivery_only, args.profile, args.keep)
                results.setdefault(command, []).append(rate)
                io = f", {per_event:,.0f} bytes written to storage and {cpu * 1e6:.1f} µs of CPU an event" if args.io else ""
                print(f"round {round_number}  {command}: {rate:,.0f} events/s delivered{io}", flush=True)
    finally:
        receiver.stop()
    for command, rates in results.items():
        print(f"median  {command}: {sorted(rates)[len(rates) // 2]:,.0f} events/s over {len(rates)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
