#!/usr/bin/env python3
"""Hostile HTTP against a real `sluice serve` (issue #9; docs/testing.md explains each attack).

    scripts/e2e_hostile.py [--mode short|long] [--bin PATH] [--keep]

Starts its own server on a throw-away SQLite file, then sends it what a careless or malicious
client sends: truncated bodies, invalid UTF-8, JSON nested 10,000 levels, numbers out of range,
duplicated keys, a declared Content-Length of 100 MB, oversized headers, garbage request lines,
clients that send their headers a byte at a time (slowloris), 1,000 concurrent connections and
many concurrent 900 KB bodies. Every answer must be a 4xx in Segment's envelope
({"errors":[{"type","message","status"}]}) or the connection closed or timed out: never a 5xx,
never a crash. Meanwhile a well-behaved client keeps asking for /healthz and /sources and must be
answered within a second or two every time, and the server's RSS (VmRSS of /proc/PID/status)
is sampled every 50 ms and must stay under a bound. Exits 1 when any check fails.

Needs only the Python standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.report import Report  # noqa: E402
from e2e_lib.sluice import PublicAPI, SluiceProcess  # noqa: E402

MODES = {
    "short": dict(slowloris=200, concurrent=1000, rounds=1, big_bodies=60, good_limit=15.0, rss_growth_mb=400),
    # 300 bodies of 875 KB are 260 MB to read and parse at once: on 2 cores (shared with this
    # script's 1,000 slow clients) the well-behaved client waits behind them, and memory holds them.
    "long": dict(slowloris=1000, concurrent=1000, rounds=5, big_bodies=300, good_limit=30.0, rss_growth_mb=800),
}
IDLE_TIMEOUT = 30.0  # seconds: the server's idle timeout (AppSettings.idleTimeout)
GOOD_CLIENT_TIMEOUT = 30.0  # seconds: the well-behaved client's socket timeout; its slowest answer is bounded by the mode's good_limit


# MARK: - Raw HTTP


class Answer:
    """What came back on a connection: a parsed response, or how the connection ended without one."""

    def __init__(self, status: int | None = None, headers: dict | None = None, body: bytes = b"", ended: str = ""):
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.ended = ended  # "closed", "reset" or "timeout" when there was no response

    def __repr__(self) -> str:
        if self.status is None:
            return f"<{self.ended}>"
        return f"{self.status} {self.body[:160]!r}"

    def envelope_problem(self, may_succeed: bool = False) -> str | None:
        """None when this is a 4xx in Segment's envelope (or no answer at all); else what is wrong."""
        if self.status is None or (may_succeed and 200 <= self.status < 300):
            return None
        if self.status >= 500:
            return f"a server error: {self!r}"
        if self.status < 400:
            return f"accepted ({self.status}) where a refusal was expected: {self!r}"
        if not self.headers.get("content-type", "").startswith("application/json"):
            return f"Content-Type {self.headers.get('content-type')!r}: {self!r}"
        try:
            error = json.loads(self.body)["errors"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            return f"not the envelope: {self!r}"
        if not isinstance(error.get("type"), str) or not error.get("message") or error.get("status") != self.status:
            return f"incomplete envelope: {self!r}"
        for marker in (".swift", "/Sources/", "Fatal", "/work/", "/tmp/"):
            if marker in error["message"]:
                return f"the message shows {marker!r}: {self!r}"
        return None


def read_answer(sock: socket.socket, timeout: float) -> Answer:
    """Reads one HTTP/1.1 response (Content-Length or chunked), or reports how the connection ended."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return Answer(ended="closed")
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(rest) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            return Answer(status, headers, rest[:length])
        if headers.get("transfer-encoding") == "chunked":
            while not rest.endswith(b"0\r\n\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            body, text = b"", rest
            while text:
                size_line, _, text = text.partition(b"\r\n")
                size = int(size_line or b"0", 16)
                if size == 0:
                    break
                body, text = body + text[:size], text[size + 2:]
            return Answer(status, headers, body)
        return Answer(status, headers, rest)
    except socket.timeout:
        return Answer(ended="timeout")
    except (ConnectionResetError, BrokenPipeError):
        return Answer(ended="reset")


def exchange(port: int, payload: bytes, timeout: float = 10.0, half_close: bool = False, pause: float = 0.0) -> Answer:
    """Sends raw bytes on a new connection and reads the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
            if pause:
                time.sleep(pause)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (ConnectionResetError, BrokenPipeError):
            return Answer(ended="reset")
        return read_answer(sock, timeout)


def request(method: str, path: str, body: bytes = b"", headers: dict | None = None, length: int | None = None) -> bytes:
    """A raw HTTP/1.1 request; `length` overrides the Content-Length actually sent."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or length is not None:
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# MARK: - Watching the server


class RSSSampler(threading.Thread):
    """Samples the server's VmRSS every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.samples = 0
        self.running = True

    def current_kb(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while self.running:
            self.peak_kb = max(self.peak_kb, self.current_kb())
            self.samples += 1
            time.sleep(0.05)


class GoodClient(threading.Thread):
    """A well-behaved client: GET /healthz and an authenticated GET /sources, twice a second, each timed."""

    def __init__(self, port: int, token: str):
        super().__init__(daemon=True)
        self.port = port
        self.token = token
        self.running = True
        self.answers = 0
        self.failures: list[str] = []
        self.slowest = 0.0

    def run(self) -> None:
        while self.running:
            for path, headers in (("/healthz", {}), ("/sources?pagination.count=5", {"Authorization": f"Bearer {self.token}"})):
                began = time.monotonic()
                try:
                    answer = exchange(self.port, request("GET", path, headers=headers), timeout=GOOD_CLIENT_TIMEOUT)
                except OSError as error:
                    answer = Answer(ended=f"error {error}")
                took = time.monotonic() - began
                self.slowest = max(self.slowest, took)
                if answer.status != 200:
                    self.failures.append(f"{path}: {answer!r} after {took:.2f} s")
                else:
                    self.answers += 1
            time.sleep(0.5)


# MARK: - The attacks


def single_attacks(port: int, token: str, write_key: str) -> list[tuple[str, Answer]]:
    """Each malformed request once, against the Public API (POST /sources) and the Tracking API (POST /v1/track)."""
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    basic = {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode(), "Content-Type": "application/json"}
    good_source = b'{"slug": "hostile-ok", "enabled": true, "metadataId": "8HWbgPTt3k"}'
    bodies = {
        "truncated JSON": b'{"slug": "a", "enabled": tr',
        "invalid UTF-8": b'{"slug": "\xff\xfe\xc3\x28", "userId": "\xed\xa0\x80"}',
        "overlong UTF-8": b'{"slug": "\xc0\xaf", "userId": "\xc0\xaf"}',
        "nested arrays 10,000 deep": b"[" * 10_000 + b"]" * 10_000,
        "nested objects 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        "unclosed nesting 100,000 deep": b"[" * 100_000,
        "number 1e400": b'{"slug": 1e400, "userId": "u", "event": "e", "properties": {"n": 1e400}}',
        "number -1e400": b'{"slug": -1e400, "userId": "u", "event": "e", "properties": {"n": -1e400}}',
        "integer of 400 digits": b'{"slug": ' + b"9" * 400 + b', "userId": "u", "event": "e", "properties": {"n": ' + b"9" * 400 + b"}}",
        "exponent of 400 digits": b'{"userId": "u", "event": "e", "properties": {"n": 1e' + b"9" * 400 + b"}}",
        "duplicated keys": b'{"slug": "a", "slug": "b", "userId": "u", "userId": "v", "event": "e"}',
        "NUL in a string": b'{"slug": "a\x00b", "userId": "u\x00", "event": "e"}',
        "lone surrogate escape": b'{"slug": "\\ud800", "userId": "\\udfff", "event": "e"}',
        "not JSON": b"\x00\x01\x02\xff" * 100,
        "JSON but not an object": b'"just a string"',
        "byte-order mark": b'\xef\xbb\xbf{"slug": "a"}',
    }
    results: list[tuple[str, Answer]] = []
    for name, body in bodies.items():
        results.append((f"POST /sources: {name}", exchange(port, request("POST", "/sources", body, auth))))
        results.append((f"POST /v1/track: {name}", exchange(port, request("POST", "/v1/track", body, basic))))
    for path, headers in (("/sources", auth), ("/v1/track", basic)):
        results += [
            (f"POST {path}: body ends before Content-Length", exchange(port, request("POST", path, good_source[:20], headers, length=len(good_source)), half_close=True)),
            (f"POST {path}: Content-Length 100 MB, 1 KB sent", exchange(port, request("POST", path, b"{" + b" " * 1023, headers, length=100 * 1024 * 1024), timeout=10)),
            (f"POST {path}: Content-Length 100 MB, nothing sent", exchange(port, request("POST", path, b"", headers, length=100 * 1024 * 1024), timeout=10)),
            (f"POST {path}: Content-Length not a number", exchange(port, request("POST", path, b"", dict(headers, **{"Content-Length": "lots"})))),
            (f"POST {path}: Content-Length negative", exchange(port, request("POST", path, b"", headers, length=-5))),
            (f"POST {path}: chunked 3 MB", exchange(port, chunked("POST", path, headers, 3 * 1024 * 1024), timeout=15)),
            (f"POST {path}: wrong Content-Type", exchange(port, request("POST", path, good_source, dict(headers, **{"Content-Type": "application/xml"})))),
        ]
    results += [
        ("GET /: Content-Length 100 MB on a GET", exchange(port, request("GET", "/", b"", {"Authorization": f"Bearer {token}"}, length=100 * 1024 * 1024), timeout=5)),
        ("GET /: header of 200 KB", exchange(port, request("GET", "/", headers={"Authorization": f"Bearer {token}", "X-Big": "a" * 200_000}))),
        ("GET /: 2,000 headers", exchange(port, request("GET", "/", headers={**{f"X-H{i}": "v" for i in range(2000)}, "Authorization": f"Bearer {token}"}))),
        ("GET /: token of 1 MB", exchange(port, request("GET", "/", headers={"Authorization": "Bearer " + "t" * 1_000_000}))),
        ("GET: URI of 100 KB", exchange(port, request("GET", "/sources?pagination.count=1&x=" + "a" * 100_000, headers={"Authorization": f"Bearer {token}"}))),
        ("GET: query pagination.count=1e400", exchange(port, request("GET", "/sources?pagination.count=1e400", headers={"Authorization": f"Bearer {token}"}))),
        ("GET: query pagination.count of 40 digits", exchange(port, request("GET", "/sources?pagination.count=" + "9" * 40, headers={"Authorization": f"Bearer {token}"}))),
        ("GET: query nested pagination JSON", exchange(port, request("GET", "/sources?pagination=" + "%5B" * 5000, headers={"Authorization": f"Bearer {token}"}))),
        ("GET: percent-encoded invalid UTF-8 id", exchange(port, request("GET", "/sources/%FF%FE%00", headers={"Authorization": f"Bearer {token}"}))),
        ("garbage request line", exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200) + b"\r\n\r\n", timeout=5)),
        ("HTTP/1.1 without Host, absolute URI", exchange(port, b"GET http://evil.example/ HTTP/1.1\r\nConnection: close\r\n\r\n")),
        ("bare LF line endings", exchange(port, b"GET /sources HTTP/1.1\nHost: x\nConnection: close\n\n")),
        ("request smuggling: both Content-Length and chunked",
         exchange(port, b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /sources HTTP/1.1\r\n\r\n")),
    ]
    return results


def chunked(method: str, path: str, headers: dict, total: int) -> bytes:
    """A chunked request whose body is `total` bytes of spaces and a brace."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Transfer-Encoding: chunked"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    piece = b" " * 65536
    body = b"".join(b"%x\r\n" % len(piece) + piece + b"\r\n" for _ in range(total // len(piece)))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + b"1\r\n{\r\n" + body + b"0\r\n\r\n"


async def slowloris(port: int, count: int, hold: float) -> dict:
    """`count` connections that send a request's headers one byte a second; how long until the server closed each."""
    payload = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + b"s" * 4000 + b"\r\n\r\n"
    closed_after: list[float] = []
    opened = 0

    async def one() -> None:
        nonlocal opened
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        opened += 1
        began = time.monotonic()
        try:
            for i in range(len(payload)):
                if time.monotonic() - began > hold:
                    break
                writer.write(payload[i:i + 1])
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=1.0) == b"":
                        closed_after.append(time.monotonic() - began)
                        return
                except asyncio.TimeoutError:
                    pass
        except (ConnectionError, OSError):
            closed_after.append(time.monotonic() - began)
            return
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(count)))
    return {"opened": opened, "closed": len(closed_after), "latest_close": max(closed_after, default=0.0)}


async def send_raw(port: int, raw: bytes) -> str:
    """Sends one raw request on a new connection; the status as text, or the name of the error that ended it."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=30)
        writer.write(raw)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=60)
        await asyncio.wait_for(reader.read(), timeout=60)
        writer.close()
        return head.split(b" ")[1].decode()
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
        return type(error).__name__


async def concurrent_clients(port: int, count: int, token: str, write_key: str) -> dict:
    """`count` connections opened at once, each sending one request (reads, tracked events, bad bodies)."""
    basic = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    statuses: dict[str, int] = {}
    refused = 0

    async def one(i: int) -> None:
        nonlocal refused
        kind = i % 4
        if kind == 0:
            raw = request("GET", "/sources?pagination.count=10", headers={"Authorization": f"Bearer {token}"})
        elif kind == 1:
            body = json.dumps({"userId": f"c{i}", "event": "Concurrent", "properties": {"i": i}}).encode()
            raw = request("POST", "/v1/track", body, {"Authorization": basic, "Content-Type": "application/json"})
        elif kind == 2:
            raw = request("POST", "/sources", b"[" * 10_000, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        else:
            raw = request("GET", "/healthz")
        status = await send_raw(port, raw)
        if not status.isdigit():
            refused += 1
        statuses[status] = statuses.get(status, 0) + 1

    began = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(count)))
    return {"statuses": statuses, "errors": refused, "seconds": time.monotonic() - began}


async def big_bodies(port: int, count: int, token: str) -> dict:
    """`count` connections each sending a 900 KB JSON body at once (under the 1 MB limit: read whole, then refused)."""
    body = b'{"slug": "big", "enabled": true, "metadataId": "8HWbgPTt3k", "labels": [' + b'"xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",' * 28_000 + b'"x"]}'
    raw = request("POST", "/sources", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    statuses: dict[str, int] = {}

    async def one() -> None:
        status = await send_raw(port, raw)
        statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(one() for _ in range(count)))
    return {"statuses": statuses, "body_kb": len(body) // 1024}


# MARK: - The check


def failed_on_ingest(api: PublicAPI, source_id: str) -> dict:
    """The Delivery Overview's failed-on-ingest totals of the last half hour by discard reason."""
    now = time.time()
    window = "&".join([
        f"sourceId={source_id}", "granularity=MINUTE", "groupBy.0=discard%20Reason",
        "startTime=" + time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(now - 1800)),
        "endTime=" + time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(now + 120)),
    ])
    answer = api.request("GET", "/delivery-overview/failed-on-ingest?" + window)["data"]
    return {dataset.get("discardReason"): dataset["total"] for dataset in answer["dataset"]}


def wait_for_value(read, expected, timeout: float):
    """What `read` returns once it returns `expected`, or what it last returned after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def run(binary: str, mode: str, keep: bool, verbose: bool = False) -> bool:
    plan = MODES[mode]
    workdir = tempfile.mkdtemp(prefix="sluice-hostile-")
    token = "hostile-" + secrets.token_hex(16)
    server = SluiceProcess(binary, workdir, token)
    report = Report(f"hostile HTTP ({mode})")
    began = time.monotonic()
    server.start()
    api = PublicAPI(server.base_url, token)
    source_id, write_key = api.create_source("hostile")
    rss = RSSSampler(server.proc.pid)
    idle_kb = rss.current_kb()
    rss.start()
    good = GoodClient(server.port, token)
    good.start()

    # Slow clients hold their connections through everything else, which must still be answered.
    loris_result: dict = {}
    loris = threading.Thread(target=lambda: loris_result.update(asyncio.run(slowloris(server.port, plan["slowloris"], IDLE_TIMEOUT + 15))))
    loris.start()
    time.sleep(1)

    problems = []
    answered = closed = 0
    attacks = single_attacks(server.port, token, write_key)
    for name, answer in attacks:
        # A GET that declares a body it never sends is answered without reading it: a 200 is right.
        problem = answer.envelope_problem(may_succeed=name.startswith("GET /: Content-Length"))
        if problem:
            problems.append(f"{name}: {problem}")
        if verbose:
            print(f"  {name}: {answer!r}", flush=True)
        if answer.status is None:
            closed += 1
        else:
            answered += 1
    report.expect("malformed requests: every answer a 4xx in the envelope, or closed", 0, len(problems))
    report.info("malformed requests answered / closed without an answer", f"{answered} / {closed}")
    for problem in problems[:20]:
        report.note("malformed: " + problem)
    # Each /v1/track refused as too large, by its Content-Length or by a chunked body that ran over, is counted once at
    # the Delivery Overview's failed-on-ingest step, as PAYLOAD_TOO_LARGE.
    refused = sum(1 for name, answer in attacks if name.startswith("POST /v1/track") and answer.status == 413)
    counted = wait_for_value(lambda: failed_on_ingest(api, source_id).get("PAYLOAD_TOO_LARGE", 0), refused, timeout=15)
    report.expect("/v1/track bodies over the limit (413): each counted as PAYLOAD_TOO_LARGE at failed-on-ingest", (True, refused),
                  (refused >= 3, counted))

    for round_ in range(plan["rounds"]):
        result = asyncio.run(concurrent_clients(server.port, plan["concurrent"], token, write_key))
        bad = {k: v for k, v in result["statuses"].items() if not k.isdigit() or int(k) >= 500}
        report.expect(f"{plan['concurrent']} concurrent connections (round {round_ + 1}): no 5xx, no dropped connection", {}, bad)
        report.info(f"  statuses, seconds (round {round_ + 1})", f"{result['statuses']}, {result['seconds']:.1f} s")
    result = asyncio.run(big_bodies(server.port, plan["big_bodies"], token))
    bad = {k: v for k, v in result["statuses"].items() if not k.isdigit() or int(k) >= 500}
    report.expect(f"{plan['big_bodies']} concurrent {result['body_kb']} KB bodies: no 5xx, none dropped", {}, bad)
    report.info("  statuses", result["statuses"])

    loris.join()
    good.running = False
    good.join()
    rss.running = False
    rss.join()
    report.expect(
        f"slowloris: {plan['slowloris']} connections closed by the server within the idle timeout + 10 s",
        f"{plan['slowloris']} closed, latest <= {IDLE_TIMEOUT + 10:.0f} s",
        f"{loris_result.get('closed')} closed of {loris_result.get('opened')}, latest {loris_result.get('latest_close', 0):.1f} s",
        ok=loris_result.get("closed") == plan["slowloris"] and loris_result.get("latest_close", 99) <= IDLE_TIMEOUT + 10)
    report.expect("well-behaved client: every request answered 200, throughout", 0, len(good.failures))
    for failure in good.failures[:5]:
        report.note("good client: " + failure)
    limit = plan["good_limit"]
    report.expect(f"well-behaved client: slowest answer under {limit:.0f} s", f"< {limit:.0f} s", f"{good.slowest:.2f} s ({good.answers} answers)",
                  ok=good.slowest < limit)
    growth_mb = (rss.peak_kb - idle_kb) / 1024
    report.expect(f"RSS: peak at most {plan['rss_growth_mb']} MB over idle", f"<= {plan['rss_growth_mb']} MB",
                  f"idle {idle_kb / 1024:.0f} MB, peak {rss.peak_kb / 1024:.0f} MB (+{growth_mb:.0f} MB, {rss.samples} samples)",
                  ok=growth_mb <= plan["rss_growth_mb"])
    alive = server.proc.poll() is None
    report.expect("server alive at the end", True, alive)
    try:
        api.request("GET", "/healthz", timeout=5)
        healthy = True
    except Exception:  # noqa: BLE001
        healthy = False
    report.expect("server answers /healthz at the end", True, healthy)
    exited = server.stop(10)
    report.warn("server exits within 10 s of SIGTERM", True, exited, exited)
    with open(server.log_path, "rb") as f:
        log = f.read()
    report.expect("server log: no crash, no error", "none", "none" if b"Fatal" not in log and b"error" not in log.lower() else log[-300:].decode(errors="replace"),
                  ok=b"Fatal" not in log and b"unexpected error" not in log)
    report.expect("the token is not in the server log", False, token.encode() in log)
    report.info("time", f"{time.monotonic() - began:.1f} s")
    print(report.render(), flush=True)
    if report.failed or keep:
        print(f"work folder kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return not report.failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument("--bin", default=os.environ.get("SLUICE_BIN"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print every malformed request's answer")
    args = parser.parse_args()
    binary = args.bin
    if not binary:
        import subprocess
        path = subprocess.run(["swift", "build", "--show-bin-path"], capture_output=True, text=True, check=True).stdout.strip()
        binary = os.path.join(path, "sluice")
    ok = run(binary, args.mode, args.keep, args.verbose)
    print(f"e2e_hostile: {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
