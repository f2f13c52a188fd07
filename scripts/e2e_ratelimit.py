#!/usr/bin/env python3
"""Rate limits through HTTP against a real `sluice serve` (issue #13).

    scripts/e2e_ratelimit.py [--bin PATH]

Starts its own server with rate limiting on and a general limit of 20 requests a minute
(`--rate-limit-general 20`), then checks both buckets as a client sees them: successes carry
X-RateLimit-Consumed/-Remaining/-Reset; the request past the general limit, and the sixth
subscription write of the minute, get 429 with `Retry-After` in whole seconds (at least 1, at
most the window) and Segment's RequestError body; a refused write changes nothing; the two
buckets count apart. Needs only the Python standard library; takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.report import Report  # noqa: E402
from e2e_lib.sluice import SOURCE_METADATA, WEBHOOKS_ACTIONS, WEBHOOKS_SEND_ACTION, SluiceProcess  # noqa: E402

GENERAL = 20


def call(base: str, token: str, method: str, path: str, body=None):
    """(status, headers, parsed body) without raising on 4xx."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def check_429(report: Report, name: str, status: int, headers: dict, body) -> None:
    report.expect(f"{name}: status", 429, status)
    retry = headers.get("Retry-After", "")
    report.expect(f"{name}: Retry-After in whole seconds, 1 to 60", "1..60", retry,
                  ok=retry.isdigit() and 1 <= int(retry) <= 60)
    error = (body or {}).get("errors", [{}])[0]
    report.expect(f"{name}: RequestError body", ("RequestError", "Too many requests", 0, 429),
                  (error.get("type"), error.get("message"), error.get("data", {}).get("remainingPoints"), error.get("status")))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("SLUICE_BIN", ".build/debug/sluice"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-ratelimit-")
    token = "e2e-" + secrets.token_hex(16)
    server = SluiceProcess(args.bin, work, token, extra_args=("--rate-limit", "on", "--rate-limit-general", str(GENERAL)))
    report = Report("rate limits through HTTP")
    try:
        server.start()
        base = server.base_url
        # The subscription-write bucket: five writes a minute, the general bucket untouched by them.
        status, _, created = call(base, token, "POST", "/sources", {"slug": "rl", "enabled": True, "metadataId": SOURCE_METADATA})
        source_id = created["data"]["source"]["id"]
        _, _, created = call(base, token, "POST", "/destinations", {
            "sourceId": source_id, "metadataId": WEBHOOKS_ACTIONS, "enabled": False, "name": "rl", "settings": {"sharedSecret": "s"}})
        destination_id = created["data"]["destination"]["id"]
        subscription = {"name": "s", "actionId": WEBHOOKS_SEND_ACTION, "trigger": 'type = "track"', "enabled": False}
        path = f"/destinations/{destination_id}/subscriptions"
        remaining = []
        for _ in range(5):
            status, headers, _ = call(base, token, "POST", path, subscription)
            remaining.append((status, headers.get("X-RateLimit-Remaining")))
        report.expect("five subscription writes: 200 and X-RateLimit-Remaining 4..0",
                      [(200, str(n)) for n in range(4, -1, -1)], remaining)
        check_429(report, "sixth subscription write", *call(base, token, "POST", path, subscription))
        _, _, listed = call(base, token, "GET", path + "?pagination.count=20")
        report.expect("the refused write stored nothing", 5, len(listed["data"]["subscriptions"]))

        # The general bucket: 2 + 1 requests so far (source, destination, list); fill it to the limit.
        used = 3
        statuses = set()
        while used < GENERAL:
            status, headers, _ = call(base, token, "GET", "/sources?pagination.count=1")
            statuses.add(status)
            used += 1
        report.expect("requests within the general limit", {200}, statuses)
        report.expect("the last one has X-RateLimit-Remaining 0", "0", headers.get("X-RateLimit-Remaining"))
        check_429(report, f"request {GENERAL + 1} of the minute (GET)", *call(base, token, "GET", "/sources?pagination.count=1"))
        check_429(report, f"request {GENERAL + 2} of the minute (POST)", *call(
            base, token, "POST", "/sources", {"slug": "rl-2", "enabled": True, "metadataId": SOURCE_METADATA}))
        server.stop()
        server.start()
        status, _, listed = call(base, token, "GET", "/sources?pagination.count=10")
        report.expect("the refused create stored nothing", ["rl"], [s["slug"] for s in listed["data"]["sources"]])
    finally:
        server.stop()
    print(report.render())
    if report.failed:
        print(f"server log: {server.log_path}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
