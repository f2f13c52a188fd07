#!/usr/bin/env python3
"""Sluice's benchmark harness (issue 8). Run it through Benchmarks/run, which builds first.

Starts `sluice serve` on a throw-away SQLite file in /tmp, seeds it, captures the exact bytes
Sluice answers for each workload, starts the ceiling (SluiceBenchCeiling: the same HTTP stack
answering those bytes from memory), drives both with wrk, one after the other in the same run,
then measures events in (/v1/batch) and out (end-to-end delivery to a local receiver), idle
memory and start-up time. Prints a Markdown table and writes results.json and results.md to the
run folder. Only 127.0.0.1 is ever contacted; every step is bounded in time.

Standard library only: no virtualenv, nothing to install besides wrk.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
WRK_DIR = HERE / "wrk"
TOKEN = "bench-token-0123456789"

AMPLITUDE = "54521fd525e721e32a72ee91"
# AppNexus: a catalog destination Sluice does not deliver to, with no required setting.
UNDELIVERABLE = "54521fd525e721e32a72ee95"
KINESIS = "57da359580412f644ff33fb9"
GA4_CLOUD = "60ad61f9ff47a16b8fb7b5d9"
WEBHOOKS = "614a3c7d791c91c41bae7599"
WEBHOOK_SEND_ACTION = "nFPnRozhz1mh4Gbx4MLvT5"
HTTP_API_SOURCE = "8HWbgPTt3k"

# The 1,000 seeded destinations of the events source: (catalog id, how many, settings).
AMPLITUDE_ACTIONS = "5f7dd6d21ad74f3842b1fc47"
SEED_MIX = [
    (AMPLITUDE, 420, lambda i: {"apiKey": f"amplitude-key-{i:06d}"}),
    (KINESIS, 280, lambda i: {"stream": f"stream-{i}"}),
    (GA4_CLOUD, 280, lambda i: {"apiSecret": f"ga4-secret-{i:06d}", "measurementId": f"G-{i:08d}"}),
    (WEBHOOKS, 20, lambda i: {}),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# HTTP client (keep-alive, one connection per Client; 127.0.0.1 only)


class Client:
    def __init__(self, port: int, headers: dict[str, str] | None = None, timeout: float = 30):
        self.port = port
        self.headers = headers or {}
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None, headers: dict[str, str] | None = None):
        data = None
        all_headers = dict(self.headers)
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=all_headers)
                response = self.conn.getresponse()
                payload = response.read()
                return response.status, response.headers, payload
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body=None, expect=(200, 201)):
        status, _, payload = self.request(method, path, body)
        if status not in expect:
            raise RuntimeError(f"{method} {path}: {status} {payload[:500]!r}")
        return json.loads(payload) if payload else None

    def close(self):
        if self.conn is not None:
            self.conn.close()


# ---------------------------------------------------------------------------------------------
# Processes and memory


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB from /proc; (0, 0) once the process is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except FileNotFoundError:
        pass
    return rss, hwm


class PeakSampler:
    """Reads `sample()` every `interval` seconds while in its `with` block (and once at each end); `.peak` is
    the largest value read."""

    def __init__(self, sample, interval: float):
        self.sample = sample
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak = self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.sample())


class RSSSampler(PeakSampler):
    """Samples a process's VmRSS every 50 ms while in its `with` block; `.peak_kb` is the largest."""

    def __init__(self, pid: int):
        super().__init__(lambda: rss_kb(pid)[0], 0.05)

    @property
    def peak_kb(self):
        return self.peak


class CPUMeter:
    """CPU time over a `with` block, in cores (CPU seconds per wall second): the server's (`pid`), the
    client's (finished child processes, e.g. wrk, plus this process's own threads when `self_too`), the
    other server's (`also`), and everything else on the machine (`other`: builds, other sessions).
    The machine has few cores and client and server share them, so each figure says who used what."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int, also: int | None = None, self_too: bool = False):
        self.pid, self.also, self.self_too = pid, also, self_too

    @staticmethod
    def busy() -> float:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / CPUMeter.TICK

    @staticmethod
    def process(pid: int | None) -> float:
        if pid is None:
            return 0.0
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CPUMeter.TICK
        except (FileNotFoundError, IndexError, ValueError):
            return 0.0

    def client(self) -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = children.ru_utime + children.ru_stime
        if self.self_too:
            me = resource.getrusage(resource.RUSAGE_SELF)
            total += me.ru_utime + me.ru_stime
        return total

    def __enter__(self):
        self.t0, self.b0 = time.perf_counter(), self.busy()
        self.s0, self.a0, self.c0 = self.process(self.pid), self.process(self.also), self.client()
        return self

    def __exit__(self, *exc):
        wall = max(time.perf_counter() - self.t0, 1e-6)
        total = (self.busy() - self.b0) / wall
        self.server = (self.process(self.pid) - self.s0) / wall
        self.also_cores = (self.process(self.also) - self.a0) / wall
        self.client_cores = (self.client() - self.c0) / wall
        self.other = max(0.0, total - self.server - self.also_cores - self.client_cores)
        self.total = total

    def summary(self) -> dict:
        return {"server_cores": round(self.server, 2), "client_cores": round(self.client_cores, 2),
                "receiver_cores": round(self.also_cores, 2), "other_cores": round(self.other, 2),
                "machine_cores": round(self.total, 2)}


class Profiler:
    """Profiles Sluice during each of its measured wrk runs (`--profile perf`).

    `perf record -e cpu-clock -g` attached to the running server (timer sampling: the project's VM
    exposes no hardware counters), reported flat and with callers' totals into profile-KEY.perf.txt;
    the .perf.data beside it is for `perf report`. (valgrind 3.19, Debian 12's, cannot run a Swift
    6.3 binary: it stops on DWARF 5, and without debug information it crashes when the first
    thread starts; BENCHMARKS.md.) Profiling costs CPU: the figures of a profiled run are not the
    benchmark's."""

    def __init__(self, kind: str | None, work: Path):
        self.kind, self.work = kind, work

    def run(self, key: str, pid: int):
        profiler = self

        class Block:
            def __enter__(self):
                if profiler.kind == "perf":
                    self.data = profiler.work / f"profile-{key}.perf.data"
                    self.proc = subprocess.Popen(
                        ["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-p", str(pid), "-o", str(self.data)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(0.3)
                return self

            def __exit__(self, *exc):
                if profiler.kind == "perf":
                    self.proc.send_signal(signal.SIGINT)
                    self.proc.wait(60)
                    out = profiler.work / f"profile-{key}.perf.txt"
                    with open(out, "w") as f:
                        for extra in (["--no-children", "--percent-limit", "0.7"], ["--children", "--percent-limit", "3"]):
                            f.write(f"# perf report {' '.join(extra)} -g none\n")
                            f.flush()
                            subprocess.run(["perf", "report", "-i", str(self.data), "--stdio", "-g", "none", *extra],
                                           stdout=f, stderr=subprocess.DEVNULL, timeout=600)
                    log(f"  profile: {out}")

        return Block()


def wait_healthz(port: int, proc: subprocess.Popen, timeout: float, interval: float = 0.002) -> float:
    """Polls GET /healthz until 200; returns the time it took (from the call). Raises on timeout or exit."""
    start = time.perf_counter()
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before /healthz answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request)
                head = s.recv(64)
                if head.startswith(b"HTTP/1.1 200"):
                    return time.perf_counter() - start
        except OSError:
            pass
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"/healthz on port {port} did not answer 200 within {timeout} s")
        time.sleep(interval)


class Server:
    def __init__(self, name: str, argv: list[str], port: int, log_path: Path):
        self.name = name
        self.argv = argv
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.ready_seconds = 0.0

    def start(self, timeout: float = 30) -> "Server":
        started = time.perf_counter()
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_healthz(self.port, self.proc, timeout)
        self.ready_seconds = time.perf_counter() - started
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self, timeout: float = 15) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} did not exit within {timeout} s of SIGTERM; killing it")
            self.proc.kill()
            self.proc.wait(10)
        self.log_file.close()


def sluice_argv(bin_path: str, port: int, database: str, receiver_port: int | None = None) -> list[str]:
    argv = [bin_path, "serve", "--host", "127.0.0.1", "--port", str(port), "--database", database,
            "--token", TOKEN, "--rate-limit", "off", "--log-level", "warning"]
    if receiver_port:
        # Amplitude's hosts go to the local receiver (the ceiling), for the Amplitude end-to-end workload.
        argv += ["--endpoint-override", f"api2.amplitude.com=http://127.0.0.1:{receiver_port}"]
    return argv


# ---------------------------------------------------------------------------------------------
# Prometheus text


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample of /metrics (`name{labels}`), 0 when absent."""
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        parts = line.rsplit(" ", 1)
        if len(parts) == 2 and parts[0] == wanted:
            return float(parts[1])
    return 0.0


# ---------------------------------------------------------------------------------------------
# The seed


@dataclass
class Seed:
    events_source: str = ""
    write_key: str = ""
    writes_source: str = ""
    amplitude_id: str = ""
    amplitude_ids: list[str] = field(default_factory=list)
    delivery_destination: str = ""
    delivery_subscription: str = ""
    batched_destination: str = ""
    batched_subscription: str = ""
    amplitude_destination: str = ""
    amplitude_subscription: str = ""
    destinations: int = 0
    subscriptions: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def seed(port: int, receiver_port: int) -> Seed:
    api = Client(port, {"Authorization": f"Bearer {TOKEN}"})
    result = Seed()
    events = api.json("POST", "/sources", {"slug": "bench-events", "name": "Bench events", "enabled": True,
                                           "metadataId": HTTP_API_SOURCE}, expect=(201,))
    result.events_source = events["data"]["source"]["id"]
    result.write_key = events["data"]["source"]["writeKeys"][0]
    writes = api.json("POST", "/sources", {"slug": "bench-writes", "name": "Bench writes", "enabled": True,
                                           "metadataId": HTTP_API_SOURCE}, expect=(201,))
    result.writes_source = writes["data"]["source"]["id"]

    webhook_ids = []
    n = 0
    for metadata_id, count, settings in SEED_MIX:
        made = 0
        for i in range(count):
            n += 1
            body = {"sourceId": result.events_source, "metadataId": metadata_id, "name": f"bench {n}",
                    "enabled": True, "settings": settings(n)}
            status, _, payload = api.request("POST", "/destinations", body)
            if status == 422 and b"required" in payload.lower():
                # a required option the seed does not fill: create it disabled, as Segment allows
                body["enabled"] = False
                status, _, payload = api.request("POST", "/destinations", body)
            if status != 201 and status != 200:
                raise RuntimeError(f"seed: POST /destinations ({metadata_id}): {status} {payload[:400]!r}")
            destination = json.loads(payload)["data"]["destination"]
            made += 1
            if metadata_id == AMPLITUDE:
                result.amplitude_ids.append(destination["id"])
            elif metadata_id == WEBHOOKS:
                webhook_ids.append(destination["id"])
        result.counts[metadata_id] = made
        result.destinations += made
    result.amplitude_id = result.amplitude_ids[0]

    # Subscriptions: every webhook destination gets one whose trigger bench events never match
    # (the router evaluates them all); the first also the delivering one (one event a request)
    # and the second a batching one (100 events a request), off until their workload turns them on.
    hook = f"http://127.0.0.1:{receiver_port}/hook"
    for i, destination in enumerate(webhook_ids):
        api.json("POST", f"/destinations/{destination}/subscriptions", {
            "name": f"bench never {i}", "actionId": WEBHOOK_SEND_ACTION,
            "trigger": f'type = "track" and event = "Never Sent {i}"', "enabled": True,
            "settings": {"url": hook}}, expect=(200, 201))
        result.subscriptions += 1
    result.delivery_destination = webhook_ids[0]
    sub = api.json("POST", f"/destinations/{result.delivery_destination}/subscriptions", {
        "name": "bench delivery", "actionId": WEBHOOK_SEND_ACTION, "trigger": 'type = "track"',
        "enabled": False, "settings": {"url": hook}}, expect=(200, 201))
    result.delivery_subscription = (sub["data"].get("destinationSubscription") or sub["data"].get("subscription"))["id"]
    result.batched_destination = webhook_ids[1]
    sub = api.json("POST", f"/destinations/{result.batched_destination}/subscriptions", {
        "name": "bench delivery batched", "actionId": WEBHOOK_SEND_ACTION, "trigger": 'type = "track"',
        "enabled": False, "settings": {"url": hook, "enable_batching": True, "batch_size": 100}}, expect=(200, 201))
    result.batched_subscription = (sub["data"].get("destinationSubscription") or sub["data"].get("subscription"))["id"]
    result.subscriptions += 2
    # The Amplitude (Actions) delivery: the catalog's Track Calls preset on the batch endpoint, off until its workload.
    made = api.json("POST", "/destinations", {"sourceId": result.events_source, "metadataId": AMPLITUDE_ACTIONS,
                                              "name": "bench amplitude actions", "enabled": True,
                                              "settings": {"apiKey": "bench-amplitude-actions-key",
                                                           "secretKey": "bench-amplitude-actions-secret"}})
    result.amplitude_destination = made["data"]["destination"]["id"]
    result.destinations += 1
    presets = api.json("POST", f"/destinations/{result.amplitude_destination}/subscriptions/presets",
                       {"presets": ["Track Calls"], "enabled": False})
    result.amplitude_subscription = presets["data"]["subscriptions"][0]["id"]
    api.json("PATCH", f"/destinations/{result.amplitude_destination}/subscriptions/{result.amplitude_subscription}",
             {"input": {"settings": {"use_batch_endpoint": True}}})
    result.subscriptions += 1
    api.close()
    return result


def delivery_target(s: Seed, kind: str) -> tuple[str, str]:
    """The (destination, subscription) of an end-to-end workload: `single`, `batched` or `amplitude`."""
    return {"single": (s.delivery_destination, s.delivery_subscription),
            "batched": (s.batched_destination, s.batched_subscription),
            "amplitude": (s.amplitude_destination, s.amplitude_subscription)}[kind]


def set_delivery(port: int, s: Seed, enabled: bool, kind: str = "single") -> None:
    api = Client(port, {"Authorization": f"Bearer {TOKEN}"})
    destination, subscription = delivery_target(s, kind)
    api.json("PATCH", f"/destinations/{destination}/subscriptions/{subscription}", {"input": {"enabled": enabled}})
    api.close()


# ---------------------------------------------------------------------------------------------
# Captured responses: what the ceiling serves


@dataclass
class Workload:
    key: str
    title: str
    script: str
    path: str                      # path (and query) wrk requests
    ceiling_route: tuple[str, str]  # (method, route path) of the ceiling
    env: dict[str, str] = field(default_factory=dict)
    per_request: int = 1           # events a request (for /v1/batch)
    target: str = ""


def capture(port: int, s: Seed, out: Path, body_file: Path, batch_body: bytes) -> list[dict]:
    """Records Sluice's exact answer for each workload (status, content type, body bytes)."""
    api = Client(port, {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"})
    basic = "Basic " + base64.b64encode(f"{s.write_key}:".encode()).decode()
    plan = [
        ("get_destination", "GET", f"/destinations/{s.amplitude_id}", f"/destinations/{s.amplitude_id}", None, {}),
        ("list_destinations", "GET", "/destinations?pagination.count=200", "/destinations", None, {}),
        ("get_catalog_destination", "GET", f"/catalog/destinations/{AMPLITUDE}", f"/catalog/destinations/{AMPLITUDE}", None, {}),
        ("list_catalog", "GET", "/catalog/destinations?pagination.count=200", "/catalog/destinations", None, {}),
        ("create_destination", "POST", "/destinations", "/destinations", body_file.read_bytes(), {}),
        ("update_destination", "PATCH", f"/destinations/{s.amplitude_ids[-1]}", "/destinations/:destinationId",
         b'{"name":"bench patched 0","settings":{"apiKey":"patched-key-00000000"}}', {}),
        ("batch", "POST", "/v1/batch", "/v1/batch", batch_body, {"Authorization": basic}),
    ]
    manifest = ["# METHOD\tPATH\tSTATUS\tCONTENT-TYPE\tFILE"]
    captured = []
    for key, method, path, route, body, headers in plan:
        extra = dict(headers)
        if body is not None:
            extra["Content-Type"] = "application/json"
        status, response_headers, payload = api.request(method, path, body, extra)
        if status >= 300:
            raise RuntimeError(f"capture {method} {path}: {status} {payload[:400]!r}")
        name = f"{key}.body"
        (out / name).write_bytes(payload)
        content_type = response_headers.get("Content-Type", "application/json")
        columns = [method, route, str(status), content_type, name]
        # Sluice's own headers besides those every Hummingbird answer has (X-Request-Id): sent by
        # the ceiling as captured, so that both answers are the same length on the wire
        for header, value in response_headers.items():
            if header.lower() not in ("content-type", "content-length", "date", "server", "connection"):
                columns.append(f"{header}: {value}")
        manifest.append("\t".join(columns))
        captured.append({"key": key, "method": method, "path": path, "status": status, "bytes": len(payload),
                         "content_type": content_type,
                         "headers": sorted(k for k in response_headers.keys())})
    (out / "hook.body").write_bytes(b"")
    manifest.append("POST\t/hook\t200\ttext/plain\thook.body")
    (out / "amplitude.body").write_bytes(b'{"code":200}')
    manifest.append("POST\t/batch\t200\tapplication/json\tamplitude.body")
    (out / "manifest.tsv").write_text("\n".join(manifest) + "\n")
    api.close()
    return captured


def batch_body(events: int, run: int = 0) -> bytes:
    """The same 100-event body as wrk/batch.lua sends (the Python loader's and the capture's)."""
    items = []
    for i in range(1, events + 1):
        items.append(
            '{"type":"track","userId":"user-%d","event":"Bench Event","properties":{"index":%d,"revenue":%d.5,'
            '"plan":"pro","tags":["a","b"]},"context":{"library":{"name":"wrk","version":"4.1.0"}}}' % (i % 97, i, i))
    return ('{"batch":[' + ",".join(items) + "]}").encode()


# ---------------------------------------------------------------------------------------------
# wrk


def run_wrk(port: int, workload: Workload, seconds: int, connections: int, threads: int, pid: int,
            env: dict[str, str], log_path: Path, profile=None) -> dict:
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
            "--latency", "-s", str(WRK_DIR / workload.script), f"http://127.0.0.1:{port}{workload.path}"]
    full_env = dict(os.environ, BENCH_WRK_DIR=str(WRK_DIR), **env)
    with RSSSampler(pid) as sampler, CPUMeter(pid) as cpu:
        if profile is not None:
            with profile:
                done = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=seconds + 60)
        else:
            done = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=seconds + 60)
    with open(log_path, "a") as f:
        f.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH line:\n{done.stdout}")
    r = json.loads(line[6:])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
    r["errors"] = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["status_errors"] + r["timeouts"]
    r["peak_rss_kb"] = sampler.peak_kb
    r["cpu"] = cpu.summary()
    r["argv"] = argv
    return r


# ---------------------------------------------------------------------------------------------
# The events loader for end-to-end delivery: exactly N events, 100 a request, keep-alive threads


def post_events(port: int, write_key: str, total: int, per_request: int, connections: int) -> dict:
    body = batch_body(per_request)
    requests = total // per_request
    headers = {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    failures: list[str] = []

    def worker():
        client = Client(port, headers)
        mine = []
        while True:
            with lock:
                if next_index[0] >= requests or failures:
                    break
                next_index[0] += 1
            t = time.perf_counter()
            status, _, payload = client.request("POST", "/v1/batch", body)
            mine.append(time.perf_counter() - t)
            if status != 200:
                with lock:
                    failures.append(f"{status} {payload[:200]!r}")
        client.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"/v1/batch failed: {failures[0]}")
    latencies.sort()
    return {"events": requests * per_request, "requests": requests, "seconds": elapsed,
            "p50_us": percentile(latencies, 50) * 1e6, "p99_us": percentile(latencies, 99) * 1e6}


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[rank]


def pending_events(port: int) -> float:
    api = Client(port, {"Authorization": f"Bearer {TOKEN}"})
    _, _, text = api.request("GET", "/metrics")
    api.close()
    return metric(text.decode(), "sluice_events_pending")


def backpressure_refusals(port: int) -> int:
    """Tracking API requests Sluice has refused with 503 because routing was behind (`--max-routing-backlog`)."""
    api = Client(port, {"Authorization": f"Bearer {TOKEN}"})
    _, _, text = api.request("GET", "/metrics")
    api.close()
    return int(metric(text.decode(), "sluice_ingest_backpressure_total"))


def take_out_refusals(r: dict, refused: int) -> None:
    """A 503 of back-pressure is Sluice asking the client to send again, not a failure: the non-2xx answers wrk saw, up
    to the refusals the server counted in the run, leave `errors` and the rate (`rps` then counts accepted requests
    only) and are kept as `refused`. Any other error stays one."""
    seen = min(r["status_errors"], refused)
    if not seen:
        return
    r["refused"] = seen
    r["status_errors"] -= seen
    r["errors"] -= seen
    r["rps"] = (r["requests"] - seen) / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0


def wait_pipeline_idle(port: int, timeout: float) -> float:
    """Waits until Sluice has no pending events and no waiting or in-flight jobs; returns the seconds waited."""
    api = Client(port, {"Authorization": f"Bearer {TOKEN}"})
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        _, _, text = api.request("GET", "/metrics")
        t = text.decode()
        if (metric(t, "sluice_events_pending") == 0 and metric(t, "sluice_delivery_jobs_waiting") == 0
                and metric(t, "sluice_delivery_jobs_in_flight") == 0):
            api.close()
            return time.perf_counter() - start
        time.sleep(0.2)
    api.close()
    log(f"warning: the pipeline was still busy after {timeout} s")
    return timeout


def end_to_end(port: int, receiver_port: int, pid: int, receiver_pid: int, s: Seed, total: int, connections: int,
               timeout: float, kind: str = "single") -> dict:
    """Turns a delivering subscription on, ingests `total` events, and times until all are delivered
    (the success counter of /metrics; the receiver counts requests: one an event, or one a batch)."""
    api = Client(port, {"Authorization": f"Bearer {TOKEN}"})
    receiver = Client(receiver_port)
    destination, _ = delivery_target(s, kind)
    batched = kind == "batched"
    set_delivery(port, s, True, kind)
    try:
        def successes() -> float:
            _, _, text = api.request("GET", "/metrics")
            return metric(text.decode(), "sluice_delivery_attempts_total", 'outcome="success"')

        def received() -> int:
            return int(receiver.request("GET", "/_requests")[2])

        s0, r0 = successes(), received()
        samples: list[tuple[float, float]] = []
        with RSSSampler(pid) as sampler, CPUMeter(pid, also=receiver_pid, self_too=True) as cpu:
            started = time.perf_counter()
            ingest_result: dict = {}
            loader = threading.Thread(target=lambda: ingest_result.update(
                post_events(port, s.write_key, total, 100, connections)))
            loader.start()
            ingest_done_at = None
            delivered_at_ingest_end = 0.0
            while True:
                now = time.perf_counter() - started
                delivered = successes() - s0
                samples.append((now, delivered))
                if ingest_done_at is None and not loader.is_alive():
                    ingest_done_at = now
                    delivered_at_ingest_end = delivered
                if delivered >= total and not loader.is_alive():
                    break
                if now > timeout:
                    break
                time.sleep(0.05)
            loader.join()
            finished = time.perf_counter() - started
        delivered = successes() - s0
        receiver_count = received() - r0
        _, _, summary = api.request(
            "GET", f"/destinations/{destination}/delivery-metrics?sourceId={s.events_source}")
        metrics = {}
        try:
            for m in json.loads(summary)["data"]["deliveryMetricsSummary"]["metrics"]:
                metrics[m["metricName"]] = m
        except (KeyError, ValueError, TypeError):
            pass
        # steady-state rate: the middle of the delivery curve (10 % to 90 % of the events)
        t10 = next((t for t, d in samples if d >= 0.1 * total), None)
        t90 = next((t for t, d in samples if d >= 0.9 * total), None)
        steady = (0.8 * total / (t90 - t10)) if t10 is not None and t90 is not None and t90 > t10 else 0.0
        return {
            "batched": batched, "kind": kind,
            "events": total, "delivered": delivered, "received": receiver_count, "seconds": finished,
            "complete": delivered >= total,
            "events_per_second": delivered / finished if finished else 0.0,
            "steady_events_per_second": steady,
            "ingest_seconds": ingest_result.get("seconds", 0.0),
            "ingest_events_per_second": total / ingest_result["seconds"] if ingest_result.get("seconds") else 0.0,
            "delivered_at_ingest_end": delivered_at_ingest_end,
            "drain_events_per_second": ((delivered - delivered_at_ingest_end) / (finished - ingest_done_at))
            if ingest_done_at is not None and finished > ingest_done_at else 0.0,
            "peak_rss_kb": sampler.peak_kb,
            "cpu": cpu.summary(),
            "delivery_metrics": metrics,
        }
    finally:
        set_delivery(port, s, False, kind)
        api.close()
        receiver.close()


# ---------------------------------------------------------------------------------------------
# Start-up


def startup_times(bin_path: str, database_for_run, runs: int, work: Path) -> list[float]:
    times = []
    for i in range(runs):
        port = free_port()
        database = database_for_run(i)
        argv = sluice_argv(bin_path, port, database)
        with open(work / "startup.log", "ab") as out:
            started = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                wait_healthz(port, proc, 30, interval=0.001)
                times.append(time.perf_counter() - started)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
    return times


# ---------------------------------------------------------------------------------------------
# Report


def ms(us: float) -> str:
    return f"{us / 1000:.2f} ms"


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def render(results: dict) -> str:
    rows = ["| workload | Sluice | p50 | p99 | ceiling (same bytes) | ratio | Sluice peak RSS | Sluice CPU | target | met |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for w in results["workloads"]:
        sl, ce = w["sluice"], w.get("ceiling")
        unit = "ev/s" if w["per_request"] > 1 else "req/s"
        value = sl["rps"] * w["per_request"]
        ceiling = f"{ce['rps'] * w['per_request']:,.0f} {unit}" if ce else "—"
        ratio = f"{sl['rps'] / ce['rps']:.0%}" if ce and ce["rps"] else "—"
        errors = f" ({sl['errors']} errors)" if sl["errors"] else ""
        errors += f" ({sl['refused']:,} requests refused: routing behind)" if sl.get("refused") else ""
        rows.append(f"| {w['title']} | {value:,.0f} {unit}{errors} | {ms(sl['p50_us'])} | {ms(sl['p99_us'])} | "
                    f"{ceiling} | {ratio} | {mb(sl['peak_rss_kb'])} | {sl['cpu']['server_cores']:.2f} cores | "
                    f"{w['target'] or '—'} | {w['met']} |")
    for key in ("end_to_end", "end_to_end_batched", "end_to_end_amplitude"):
        e = results.get(key)
        if not e:
            continue
        how = "100 a request" if e["batched"] else "1 a request"
        if e.get("kind") == "amplitude":
            how = "Amplitude (Actions) Track Calls preset, 1 a request to a stand-in of its /batch endpoint"
        rows.append(
            f"| end-to-end delivery, {e['events']:,} events ({how} to the receiver) | "
            f"{e['events_per_second']:,.0f} ev/s (steady {e['steady_events_per_second']:,.0f}) | "
            f"{e['tts_avg']} | {e['tts_p95']} | — | — | {mb(e['peak_rss_kb'])} | {e['cpu']['server_cores']:.2f} cores | "
            f"10,000 ev/s | {e['met']} |")
    m = results["memory"]
    rows.append(f"| idle, fresh store, catalog served | — | — | — | — | — | {mb(m['idle_after_catalog_kb'])} | "
                f"— | < 100 MB | {'yes' if m['idle_after_catalog_kb'] < 100 * 1024 else 'no'} |")
    f = results.get("filters")
    if f:
        per = f["ns_per_event_per_filter"] / 1000
        rows.append(f"| destination filters in the router (`DestinationFilters.apply`, 10 filters, {f['events']:,} events) | "
                    f"{per:.2f} µs an event a filter ({f['ns_per_event_10_filters'] / 1000:.2f} µs an event for 10) | — | — | — | — | — | "
                    f"1 core | < 2 µs an event a filter | {'yes' if per < 2 else 'no'} |")
    a = results.get("actions")
    if a:
        per = a["us_per_event_resolve_and_check"]
        rows.append(f"| resolving the Amplitude \"Track Calls\" preset (mapping and field checks, settings compiled once; {a['events']:,} events) | "
                    f"{per:.2f} µs an event | — | — | — | — | — | 1 core | < 20 µs an event | {'yes' if per < 20 else 'no'} |")
        rows.append(f"| the same, and Amplitude's request built (event and JSON body) | "
                    f"{a['us_per_event_amplitude_track_calls']:.2f} µs an event (compiling the settings: {a['us_compile_settings']:.0f} µs a delivery) | "
                    f"— | — | — | — | — | 1 core | — | |")
    st = results["startup"]
    rows.append(f"| start-up to 200 on /healthz (median of {len(st['fresh'])}, fresh / seeded store) | "
                f"{st['fresh_median'] * 1000:.0f} ms / {st['seeded_median'] * 1000:.0f} ms | — | — | — | — | — | — | "
                f"< 1 s | {'yes' if max(st['fresh_median'], st['seeded_median']) < 1 else 'no'} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sluice", required=True, help="path of the release `sluice` binary")
    parser.add_argument("--ceiling", required=True, help="path of the release `SluiceBenchCeiling` binary")
    parser.add_argument("--short", action="store_true", help="a few seconds a workload (CI)")
    parser.add_argument("--seconds", type=int, help="seconds a wrk run (default 20, short 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--events", type=int, help="events for end-to-end delivery (default 100000, short 5000)")
    parser.add_argument("--only", help="comma-separated workload keys to run (default all)")
    parser.add_argument("--keep", action="store_true", help="keep the run folder's SQLite files")
    parser.add_argument("--database", help="run Sluice on this store instead of a new SQLite file: an empty "
                                           "postgres://... database, say (start-up on a fresh store stays on SQLite)")
    parser.add_argument("--profile", choices=["perf"],
                        help="profile Sluice with perf during each measured run (its figures are then not the benchmark's)")
    parser.add_argument("--out", help="run folder (default a new one in /tmp)")
    args = parser.parse_args()

    seconds = args.seconds or (3 if args.short else 20)
    warmup = 0 if args.short else 2
    e2e_events = args.events or (5_000 if args.short else 100_000)
    startup_runs = 3 if args.short else 10
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="sluice-bench-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    responses = work / "responses"
    responses.mkdir(exist_ok=True)
    wrk_log = work / "wrk.log"
    log(f"run folder {work} ({'short' if args.short else 'full'} form: {seconds} s a wrk run, "
        f"{args.connections} connections, {args.threads} threads)")

    results: dict = {"mode": "short" if args.short else "full", "seconds": seconds, "connections": args.connections,
                     "threads": args.threads, "workloads": [], "machine": machine()}
    servers: list[Server] = []
    try:
        # 1. Idle memory on a fresh store: at rest, then after the whole catalog has been served.
        port = free_port()
        db = work / "sluice.sqlite"
        profiler = Profiler(args.profile, work)
        database = args.database or f"sqlite:{db}"
        ceiling_port = free_port()
        sluice = Server("sluice", sluice_argv(args.sluice, port, database, ceiling_port), port, work / "sluice.log")
        servers.append(sluice.start())
        time.sleep(1.5)
        idle_fresh = rss_kb(sluice.pid)[0]
        api = Client(port, {"Authorization": f"Bearer {TOKEN}"})
        cursor = None
        pages = 0
        while True:
            path = "/catalog/destinations?pagination.count=200" + (f"&pagination.cursor={cursor}" if cursor else "")
            page = api.json("GET", path)["data"]
            pages += 1
            cursor = page["pagination"].get("next")
            if not cursor or pages > 20:
                break
        api.close()
        time.sleep(1.0)
        idle_catalog = rss_kb(sluice.pid)[0]
        log(f"idle RSS {mb(idle_fresh)} at start, {mb(idle_catalog)} after serving the whole catalog ({pages} pages)")

        # 2. Seed: sources, 1,000 destinations, subscriptions. The ceiling doubles as the receiver.
        t = time.perf_counter()
        s = seed(port, ceiling_port)
        log(f"seeded {s.destinations} destinations ({', '.join(f'{k}: {v}' for k, v in s.counts.items())}), "
            f"{s.subscriptions} subscriptions in {time.perf_counter() - t:.1f} s")
        time.sleep(1.0)
        idle_seeded = rss_kb(sluice.pid)[0]
        results["memory"] = {"idle_fresh_kb": idle_fresh, "idle_after_catalog_kb": idle_catalog,
                             "idle_seeded_kb": idle_seeded}
        results["seed"] = {"destinations": s.destinations, "by_catalog_id": s.counts, "subscriptions": s.subscriptions}

        # 3. Capture the bytes, start the ceiling on them.
        create_body = work / "create_destination.json"
        create_body.write_text(json.dumps({
            "sourceId": s.writes_source, "metadataId": AMPLITUDE, "name": "bench created",
            "settings": {"apiKey": "3cb9b589437d3904f19b2b791c2cdada", "retarget": True}}))
        ids_file = work / "amplitude_ids.txt"
        ids_file.write_text("\n".join(s.amplitude_ids[1:]) + "\n")
        results["captured"] = capture(port, s, responses, create_body, batch_body(100))
        log("captured " + ", ".join(f"{c['key']} {c['bytes']:,} B" for c in results["captured"]))
        ceiling = Server("ceiling", [args.ceiling, "--port", str(ceiling_port), "--responses", str(responses)],
                         ceiling_port, work / "ceiling.log")
        servers.append(ceiling.start())

        basic = base64.b64encode(f"{s.write_key}:".encode()).decode()
        env = {"BENCH_TOKEN": TOKEN, "BENCH_BODY_FILE": str(create_body), "BENCH_IDS_FILE": str(ids_file),
               "BENCH_BASIC": basic}
        workloads = [
            Workload("get_destination", "GET /destinations/{id} (Amplitude, %s)", "get.lua",
                     f"/destinations/{s.amplitude_id}", ("GET", ""), target="≥ 60% of ceiling, p99 < 5 ms"),
            Workload("list_destinations", "GET /destinations?pagination.count=200 (%s)", "get.lua",
                     "/destinations?pagination.count=200", ("GET", ""), target="≥ 50% of ceiling"),
            Workload("get_catalog_destination", "GET /catalog/destinations/{id} (Amplitude, %s)", "get.lua",
                     f"/catalog/destinations/{AMPLITUDE}", ("GET", "")),
            Workload("list_catalog", "GET /catalog/destinations?pagination.count=200 (%s)", "get.lua",
                     "/catalog/destinations?pagination.count=200", ("GET", "")),
            Workload("create_destination", "POST /destinations (Amplitude, %s answer)", "create_destination.lua",
                     "/destinations", ("POST", ""), target="3,000 req/s"),
            Workload("update_destination", "PATCH /destinations/{id} (name + apiKey, %s answer)",
                     "update_destination.lua", "/destinations", ("PATCH", "")),
            Workload("batch", "POST /v1/batch, 100 events a request (%s body)", "batch.lua", "/v1/batch",
                     ("POST", ""), per_request=100, target="30,000 ev/s"),
        ]
        if args.only:
            keep = set(args.only.split(","))
            workloads = [w for w in workloads if w.key in keep]
        sizes = {c["key"]: c["bytes"] for c in results["captured"]}
        for w in workloads:
            size = sizes.get(w.key, 0)
            if w.key == "batch":
                size = len(batch_body(100))
            w.title = w.title % (f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B")
            measured = {}
            for name, server in (("sluice", sluice), ("ceiling", ceiling)):
                if warmup:
                    run_wrk(server.port, w, warmup, args.connections, args.threads, server.pid, env, wrk_log)
                block = profiler.run(w.key, server.pid) if name == "sluice" and args.profile else None
                refused_before = backpressure_refusals(port) if name == "sluice" and w.key == "batch" else None
                r = run_wrk(server.port, w, seconds, args.connections, args.threads, server.pid, env, wrk_log, block)
                if refused_before is not None:
                    take_out_refusals(r, backpressure_refusals(port) - refused_before)
                measured[name] = r
                log(f"{w.key:24} {name:8} {r['rps'] * w.per_request:10,.0f} {'ev/s' if w.per_request > 1 else 'req/s'}"
                    f"  p50 {ms(r['p50_us']):>9}  p99 {ms(r['p99_us']):>9}  peak RSS {mb(r['peak_rss_kb'])}"
                    f"  cores: server {r['cpu']['server_cores']:.2f} wrk {r['cpu']['client_cores']:.2f}"
                    f" other {r['cpu']['other_cores']:.2f}"
                    + (f"  ERRORS {r['errors']}" if r["errors"] else "")
                    + (f"  refused (routing behind) {r['refused']:,}" if r.get("refused") else ""))
                if name == "sluice" and w.key in ("batch",):
                    # ingest answers once events are committed; routing them to destinations follows
                    pending = pending_events(port)
                    waited = wait_pipeline_idle(port, 60 if args.short else 180)
                    ingested = (r["requests"] - r.get("refused", 0)) * w.per_request
                    r["routing"] = {"pending_at_end": pending, "catch_up_seconds": waited,
                                    "routed_per_second_alone": pending / waited if waited else 0.0,
                                    "sustained_per_second": ingested / (r["duration_us"] / 1e6 + waited)}
                    log(f"  {pending:,.0f} events still to route at the end; routing caught up {waited:.1f} s later "
                        f"({r['routing']['routed_per_second_alone']:,.0f} ev/s routed with no ingest; ingest and "
                        f"routing together {r['routing']['sustained_per_second']:,.0f} ev/s)")
            sl, ce = measured["sluice"], measured["ceiling"]
            ratio = sl["rps"] / ce["rps"] if ce["rps"] else 0
            met = "—"
            if w.key == "get_destination":
                met = "yes" if ratio >= 0.6 and sl["p99_us"] < 5000 else "no"
            elif w.key == "list_destinations":
                met = "yes" if ratio >= 0.5 else "no"
            elif w.key == "create_destination":
                met = "yes" if sl["rps"] >= 3000 else "no"
            elif w.key == "batch":
                met = "yes" if sl["rps"] * 100 >= 30000 else "no"
            if sl["errors"]:
                met += f" ({sl['errors']} errors)"
            results["workloads"].append({"key": w.key, "title": w.title, "per_request": w.per_request,
                                         "target": w.target, "met": met, "sluice": sl, "ceiling": ce,
                                         "ratio": ratio})

        # 4. End-to-end delivery: one event a request, then batches of 100.
        for key, kind in (("end_to_end", "single"), ("end_to_end_batched", "batched"), ("end_to_end_amplitude", "amplitude")):
            if args.only and key not in args.only.split(","):
                continue
            wait_pipeline_idle(port, 60)
            e_profile = profiler.run(key, sluice.pid) if args.profile else None
            if e_profile:
                e_profile.__enter__()
            e = end_to_end(port, ceiling_port, sluice.pid, ceiling.pid, s, e2e_events, args.connections,
                           timeout=60 if args.short else 300, kind=kind)
            if e_profile:
                e_profile.__exit__(None, None, None)
            tts = {b.get("metricName"): b.get("value")
                   for b in e["delivery_metrics"].get("time_to_success", {}).get("breakdown", [])}
            e["tts_avg"] = f"{tts.get('time_to_success_average', '?')} ms avg"
            e["tts_p95"] = f"{tts.get('time_to_success_p95', '?')} ms p95"
            e["met"] = ("yes" if e["events_per_second"] >= 10000 else "no") + ("" if e["complete"] else " (incomplete)")
            results[key] = e
            log(f"{key}: {e['delivered']:,.0f}/{e['events']:,} delivered ({e['received']:,} requests at the receiver) in "
                f"{e['seconds']:.1f} s: {e['events_per_second']:,.0f} ev/s overall, "
                f"{e['steady_events_per_second']:,.0f} ev/s steady; ingest took {e['ingest_seconds']:.1f} s, "
                f"drain after ingest {e['drain_events_per_second']:,.0f} ev/s; peak RSS {mb(e['peak_rss_kb'])}; "
                f"cores: server {e['cpu']['server_cores']:.2f} loader+harness {e['cpu']['client_cores']:.2f} "
                f"receiver {e['cpu']['receiver_cores']:.2f} other {e['cpu']['other_cores']:.2f}")

        results["memory"]["hwm_kb"] = rss_kb(sluice.pid)[1]
        sluice.stop()
        ceiling.stop()

        # 5. Start-up: a new store each run, and the seeded store (1,000+ destinations).
        fresh = startup_times(args.sluice, lambda i: f"sqlite:{work}/startup-{i}.sqlite", startup_runs, work)
        seeded = startup_times(args.sluice, lambda i: database, startup_runs, work)
        results["startup"] = {"fresh": fresh, "seeded": seeded, "fresh_median": statistics.median(fresh),
                              "seeded_median": statistics.median(seeded)}
        log(f"start-up to 200 on /healthz: fresh store median {statistics.median(fresh) * 1000:.0f} ms "
            f"(min {min(fresh) * 1000:.0f}, max {max(fresh) * 1000:.0f}); seeded store median "
            f"{statistics.median(seeded) * 1000:.0f} ms (min {min(seeded) * 1000:.0f}, max {max(seeded) * 1000:.0f})")
    finally:
        for server in servers:
            server.stop()

    # In-process benchmarks: each prints one JSON object (short form: fewer events and passes).
    micro = [
        ("filters", "SluiceBenchFilters", "destination filters: DestinationFilters.apply over a corpus, 0, 1 and 10 filters",
         ("5000", "3"), ("50000", "20")),
        ("actions", "SluiceBenchActions", "Actions runtime: the Amplitude Track Calls preset resolved, checked and built over a corpus",
         ("5000", "3"), ("20000", "10")),
    ]
    for key, product, title, short_form, full_form in micro:
        binary = Path(args.sluice).with_name(product)
        if binary.exists() and (not args.only or key in args.only.split(",")):
            log(title)
            events, rounds = short_form if args.short else full_form
            done = subprocess.run([str(binary), "--events", events, "--rounds", rounds],
                                  capture_output=True, text=True, timeout=600, check=True)
            results[key] = json.loads(done.stdout)
    table = render(results)
    (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (work / "results.md").write_text(table + "\n")
    print()
    print(table)
    print()
    print(f"idle RSS: {mb(results['memory']['idle_fresh_kb'])} at start, {mb(results['memory']['idle_after_catalog_kb'])} "
          f"after serving the whole catalog, {mb(results['memory']['idle_seeded_kb'])} seeded; "
          f"Sluice's VmHWM over the run {mb(results['memory'].get('hwm_kb', 0))}")
    print(f"results: {work}/results.json, {work}/results.md; wrk output: {wrk_log}")
    errors = sum(w["sluice"]["errors"] + w["ceiling"]["errors"] for w in results["workloads"])
    problems = []
    if errors:
        problems.append(f"{errors} wrk errors (non-2xx answers or socket errors)")
    for key in ("end_to_end", "end_to_end_batched", "end_to_end_amplitude"):
        e = results.get(key)
        if e and not e["complete"]:
            problems.append(f"{key}: delivery incomplete: {e['delivered']:,.0f} of {e['events']:,}")
        if e and e["received"] < (e["delivered"] / 100 if e["batched"] else e["delivered"]):
            problems.append(f"{key}: the receiver counted {e['received']:,} requests for {e['delivered']:,.0f} successes")
    noisy = [f"{w['key']} ({name} {w[name]['cpu']['other_cores']:.2f})" for w in results["workloads"]
             for name in ("sluice", "ceiling") if w[name]["cpu"]["other_cores"] > 0.15]
    if noisy:
        print("NOTE: other processes used more than 0.15 of a core during " + ", ".join(noisy)
              + ": those figures are low; run again on a quiet machine")
    for p in problems:
        print(f"PROBLEM: {p}")
    if not args.keep and not problems and not args.out:
        for sqlite in work.glob("*.sqlite*"):
            sqlite.unlink()
    return 1 if problems else 0


def machine() -> dict:
    info = {"nproc": os.cpu_count()}
    try:
        info["cpu"] = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (StopIteration, OSError):
        pass
    try:
        info["mem_total_kb"] = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    except (StopIteration, OSError):
        pass
    for name, argv in (("swift", ["swift", "--version"]), ("wrk", ["wrk", "--version"])):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            info[name] = (done.stdout + done.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            pass
    return info


if __name__ == "__main__":
    sys.exit(main())
