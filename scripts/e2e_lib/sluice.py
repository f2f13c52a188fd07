"""A `sluice serve` process on a throw-away SQLite file, and a small client of its Public API."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

WEBHOOKS_ACTIONS = "614a3c7d791c91c41bae7599"
WEBHOOKS_SEND_ACTION = "nFPnRozhz1mh4Gbx4MLvT5"
SOURCE_METADATA = "8HWbgPTt3k"  # .NET, any source will do


def default_binary() -> str:
    """$SLUICE_BIN, else the debug build's `sluice`."""
    if os.environ.get("SLUICE_BIN"):
        return os.environ["SLUICE_BIN"]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "sluice")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_key_file(workdir: str) -> str:
    """`workdir/postgres.key`, created (mode 0600) with a new random key when missing."""
    path = os.path.join(workdir, "postgres.key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return path


class SluiceProcess:
    """`sluice serve` on one SQLite file and one port; it can be killed and started again on both."""

    def __init__(self, binary: str, workdir: str, token: str, port: int | None = None, extra_args: tuple[str, ...] = (),
                 database: str | None = None, log_name: str = "server.log"):
        self.binary = binary
        self.workdir = workdir
        self.database = os.path.join(workdir, "sluice.sqlite")
        # `--database` as given (a postgres:// URL, say), else the SQLite file above.
        self.database_arg = database or f"sqlite:{self.database}"
        self.token = token
        self.port = port or free_port()
        self.extra_args = tuple(extra_args)
        if self.database_arg.startswith(("postgres://", "postgresql://")) and "--secret-key-file" not in self.extra_args \
                and not os.environ.get("SLUICE_SECRET_KEY") and not os.environ.get("SLUICE_SECRET_KEY_FILE"):
            # A PostgreSQL store needs its secrets' key given (SECURITY.md); processes of one work folder share it.
            self.extra_args += ("--secret-key-file", postgres_key_file(workdir))
        self.log_path = os.path.join(workdir, log_name)
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 30.0) -> float:
        """Starts the server and waits for `GET /healthz`; returns the seconds it took."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"--- start {self.starts} at {time.strftime('%H:%M:%S')}\n".encode())
        log.flush()
        args = [
            self.binary, "serve", "--port", str(self.port), "--database", self.database_arg,
            "--token", self.token, "--rate-limit", "off", "--log-level", "warning", *self.extra_args,
        ]
        began = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = began + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sluice exited with {self.proc.returncode} while starting; see {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return time.monotonic() - began
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"sluice did not answer /healthz within {ready_timeout:.0f} s; see {self.log_path}:\n{self.log_tail()}")

    def kill9(self) -> None:
        """SIGKILL, then reap."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 10.0) -> bool:
        """SIGTERM; SIGKILL if it has not exited within `timeout`. True when it exited by itself."""
        if not self.proc or self.proc.poll() is not None:
            return True
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            self.kill9()
            return False

    def stop_and_report(self, report, timeout: float = 5.0) -> None:
        """Stops with SIGTERM and records it in `report` (an e2e_lib.report.Report): not exiting within `timeout` is a
        warning (it depends on the machine), exiting with a status other than 0 a failure (a graceful stop is no
        error)."""
        began = time.monotonic()
        exited = self.stop(timeout)
        report.warn(f"exits on SIGTERM within {timeout:.0f} s", "yes", "yes" if exited else "no (killed)", exited)
        if exited:
            report.info("seconds to exit on SIGTERM", f"{time.monotonic() - began:.2f}")
            report.expect("exit status after SIGTERM (a graceful stop is no error)", 0, self.proc.returncode)

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""


class APIError(Exception):
    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} {path}: HTTP {status}: {body[:500]}")
        self.status = status


class PublicAPI:
    """Just enough of the Public API (bearer token) and the Tracking API (write key) for these checks."""

    def __init__(self, base_url: str, token: str):
        self.base_url = base_url.rstrip("/")
        self.token = token

    def request(self, method: str, path: str, body=None, timeout: float = 30.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise APIError(method, path, error.code, error.read().decode(errors="replace")) from None
        return json.loads(text) if text.startswith(("{", "[")) else text

    def create_source(self, slug: str) -> tuple[str, str]:
        """Returns (source id, write key)."""
        source = self.request("POST", "/sources", {"slug": slug, "enabled": True, "metadataId": SOURCE_METADATA})["data"]["source"]
        return source["id"], source["writeKeys"][0]

    def create_webhook(self, source_id: str, url: str, shared_secret: str, trigger: str = 'type = "track"') -> tuple[str, str]:
        """A Webhooks (Actions) destination with one `send` subscription; returns (destination id, subscription id)."""
        destination = self.request("POST", "/destinations", {
            "sourceId": source_id, "metadataId": WEBHOOKS_ACTIONS, "enabled": True, "name": "e2e receiver",
            "settings": {"sharedSecret": shared_secret},
        })["data"]["destination"]
        subscription = self.request("POST", f"/destinations/{destination['id']}/subscriptions", {
            "name": "e2e send", "actionId": WEBHOOKS_SEND_ACTION, "trigger": trigger, "enabled": True,
            "settings": {"url": url, "method": "POST", "enable_batching": False},
        })["data"]["destinationSubscription"]
        return destination["id"], subscription["id"]

    def delivery_metrics(self, destination_id: str, source_id: str) -> dict:
        """The delivery-metrics summary, flattened: {"successes": n, "successes_on_first_attempt": n, ...}."""
        query = urllib.parse.urlencode({"sourceId": source_id})
        summary = self.request("GET", f"/destinations/{destination_id}/delivery-metrics?{query}")["data"]["deliveryMetricsSummary"]
        flat = {}
        for metric in summary["metrics"]:
            flat[metric["metricName"]] = metric["total"]
            for part in metric.get("breakdown") or []:
                flat[part["metricName"]] = part["value"]
        return flat

    def prometheus(self) -> dict[str, float]:
        """`GET /metrics` as {"name{labels}": value}."""
        text = self.request("GET", "/metrics")
        values = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            match = re.match(r"^(\S+?(?:\{[^}]*\})?)\s+(\S+)", line)
            if match:
                values[match.group(1)] = float(match.group(2))
        return values

    def post_batch(self, write_key: str, batch: list[dict], timeout: float = 10.0) -> int:
        """`POST /v1/batch` with the write key as the Basic user; returns the status (raises OSError when no answer)."""
        req = urllib.request.Request(self.base_url + "/v1/batch", data=json.dumps({"batch": batch}).encode(), method="POST")
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{write_key}:".encode()).decode())
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            error.read()
            return error.code


def wait_until(predicate, timeout: float, interval: float = 0.25) -> bool:
    """Polls `predicate` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def metric(values: dict, name: str) -> float:
    """A value of a parsed /metrics page, 0 when absent."""
    return values.get(name, 0.0)


def configure_analytics(analytics, write_key: str, host: str) -> list[str]:
    """Points Segment's Python library (`segment.analytics`) at a Sluice: its background consumer batches up to 100
    messages a request to /v1/batch, retried 3 times. Returns the list its errors are appended to."""
    errors: list[str] = []
    analytics.default_client = None
    analytics.write_key = write_key
    analytics.host = host
    analytics.sync_mode = False
    analytics.max_retries = 3
    analytics.on_error = lambda error, batch: errors.append(f"{error} ({len(batch)} messages)")
    return errors
