#!/usr/bin/env python3
"""Faults on the SQLite store, against a real `sluice serve` (issue #9; docs/testing.md explains them).

    scripts/e2e_faults.py [--mode short|long] [--check disk-full|read-only|crash-writes|all] [--bin PATH] [--seed N] [--keep]

  disk-full     The store lives on a small tmpfs that is then filled to the last byte. Every write
                (sources, destinations, subscriptions, events) is answered 2xx or 503 in the envelope
                with Retry-After, reads go on answering 200, and once space is freed writes work again
                without a restart. Nothing half-written: every write answered 503 is absent after
                recovery and after a restart, every acknowledged one present, with its audit event;
                PRAGMA integrity_check is ok. Needs root (mount); skipped with a message otherwise.
  read-only     The store's file is made read-only (chmod 0444) and the server started on it as
                `nobody`: reads answer 200, every kind of write 503 in the envelope; after the file is
                made writable again, the store holds exactly what it held before.
  crash-writes  Writers create, update and delete sources, destinations and subscriptions and send
                events while the server is killed with SIGKILL and restarted on the same file. Every
                acknowledged write is there after the last restart (and every acknowledged delete
                gone); a write whose answer was lost may or may not be; every acknowledged event is
                delivered; every resource that exists has its Created audit event, every acknowledged
                delete its Deleted one; PRAGMA integrity_check and foreign_key_check are clean.

Each check starts its own server on a throw-away SQLite file. Exits 1 when any check fails.
Needs only the Python standard library.
"""

from __future__ import annotations

import argparse
import base64
import errno
import http.client
import json
import os
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report  # noqa: E402
from e2e_lib.sluice import SOURCE_METADATA, WEBHOOKS_ACTIONS, WEBHOOKS_SEND_ACTION, PublicAPI, SluiceProcess  # noqa: E402

MODES = {
    "short": dict(kills=3, kill_gap=(1.0, 2.5), full_rounds=6, settle=60),
    "long": dict(kills=12, kill_gap=(0.5, 4.0), full_rounds=20, settle=240),
}
ALPHA = "application/vnd.segment.v1alpha+json"


# MARK: - HTTP


class Outcome:
    """One request's fate: `status` when answered; `None` when the connection failed."""

    def __init__(self, status: int | None, body=None, headers=None, sent: bool = True):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.sent = sent  # False when the request surely never reached the server (connection refused)

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def unknown(self) -> bool:
        """The server may or may not have applied it: the answer was lost."""
        return self.status is None and self.sent

    def __repr__(self) -> str:
        return f"{self.status} {json.dumps(self.body)[:200] if self.body is not None else ''}"

    def unavailable_problem(self) -> str | None:
        """None for a 503 in the envelope with Retry-After; else what is wrong."""
        if self.status != 503:
            return f"status {self.status}, not 503: {self!r}"
        try:
            error = self.body["errors"][0]
            assert isinstance(error["type"], str) and error["message"] and error["status"] == 503
        except (TypeError, KeyError, IndexError, AssertionError):
            return f"503 without the envelope: {self!r}"
        if "retry-after" not in self.headers:
            return f"503 without Retry-After: {self!r}"
        return None


def call(base: str, method: str, path: str, body=None, token: str | None = None, write_key: str | None = None,
         accept: str | None = None, timeout: float = 10.0) -> Outcome:
    host, port = base.replace("http://", "").split(":")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if write_key:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    if accept:
        headers["Accept"] = accept
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.connect()
    except OSError:
        return Outcome(None, sent=False)
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        text = response.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return Outcome(response.status, parsed, {k.lower(): v for k, v in response.getheaders()})
    except (OSError, http.client.HTTPException):
        return Outcome(None)
    finally:
        connection.close()


def listing(base: str, token: str, path: str, key: str, accept: str | None = None) -> list[dict]:
    """Every item of a paginated list."""
    items, cursor = [], None
    while True:
        query = "pagination.count=200" + (f"&pagination.cursor={cursor}" if cursor else "")
        outcome = call(base, "GET", f"{path}{'&' if '?' in path else '?'}{query}", token=token, accept=accept)
        if outcome.status != 200:
            raise RuntimeError(f"GET {path}: {outcome!r}")
        items += outcome.body["data"][key]
        cursor = outcome.body["data"]["pagination"].get("next")
        if not cursor:
            return items


def audit_index(base: str, token: str) -> set[tuple[str, str]]:
    """(type, resourceId) of every audit event."""
    return {(e["type"], e["resourceId"]) for e in listing(base, token, "/audit-events", "events")}


def integrity(database: str) -> tuple[str, int]:
    """PRAGMA integrity_check's first row and the number of foreign_key_check rows, on a stopped store."""
    connection = sqlite3.connect(database)
    try:
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        foreign = len(connection.execute("PRAGMA foreign_key_check").fetchall())
        return check, foreign
    finally:
        connection.close()


def seed_workspace(api: PublicAPI, tag: str) -> dict:
    """A source with a write key, a second source, a webhook destination with a subscription."""
    source_id, write_key = api.create_source(f"{tag}-main")
    spare_id, _ = api.create_source(f"{tag}-spare")
    destination_id, subscription_id = api.create_webhook(source_id, "http://127.0.0.1:9/hook", "faults-secret")
    return dict(source=source_id, write_key=write_key, spare=spare_id, destination=destination_id, subscription=subscription_id)


def every_write(base: str, token: str, ids: dict, tag: str) -> dict[str, Outcome]:
    """One write of each kind, each with unique names so that its effect can be looked for afterwards."""
    d, s = ids["destination"], ids["subscription"]
    event_id = f"{tag}-event"
    return {
        f"create source {tag}": call(base, "POST", "/sources", {"slug": tag, "enabled": True, "metadataId": SOURCE_METADATA}, token),
        f"update source name {tag}": call(base, "PATCH", f"/sources/{ids['source']}", {"name": tag}, token),
        f"delete source {ids['spare']}": call(base, "DELETE", f"/sources/{ids['spare']}", token=token),
        f"create destination {tag}": call(base, "POST", "/destinations", {
            "sourceId": ids["source"], "metadataId": WEBHOOKS_ACTIONS, "name": tag, "settings": {"sharedSecret": "x"}}, token),
        f"update destination name {tag}": call(base, "PATCH", f"/destinations/{d}", {"name": tag}, token),
        f"create subscription {tag}": call(base, "POST", f"/destinations/{d}/subscriptions", {
            "name": tag, "actionId": WEBHOOKS_SEND_ACTION, "trigger": 'type = "track"', "enabled": False,
            "settings": {"url": "http://127.0.0.1:9/x"}}, token, accept=ALPHA),
        f"update subscription name {tag}": call(base, "PATCH", f"/destinations/{d}/subscriptions/{s}", {"input": {"name": tag}}, token, accept=ALPHA),
        f"track event {event_id}": call(base, "POST", "/v1/track", {"userId": "u", "event": "E", "messageId": event_id}, write_key=ids["write_key"]),
        f"batch {tag}": call(base, "POST", "/v1/batch", {"batch": [{"type": "track", "userId": "u", "event": "E", "messageId": f"{tag}-b{i}"} for i in range(3)]},
                             write_key=ids["write_key"]),
    }


def state(base: str, token: str, ids: dict) -> dict:
    """What the store holds that the writes above could change."""
    sources = listing(base, token, "/sources", "sources")
    destinations = listing(base, token, "/destinations", "destinations")
    subscriptions = listing(base, token, f"/destinations/{ids['destination']}/subscriptions", "subscriptions", accept=ALPHA)
    return {
        "sources": sorted((x["slug"], x.get("name") or "") for x in sources),
        "destinations": sorted((x["id"], x.get("name") or "") for x in destinations),
        "subscriptions": sorted((x["id"], x["name"]) for x in subscriptions),
    }


def reads_ok(base: str, token: str, ids: dict) -> list[str]:
    """The reads that must go on while writes cannot: the failures, if any."""
    failures = []
    for path, accept in (("/sources?pagination.count=10", None), (f"/destinations/{ids['destination']}", None),
                         (f"/destinations/{ids['destination']}/subscriptions?pagination.count=10", ALPHA),
                         ("/audit-events?pagination.count=10", None), ("/", None), ("/healthz", None),
                         (f"/destinations/{ids['destination']}/delivery-metrics?sourceId={ids['source']}", None)):
        outcome = call(base, "GET", path, token=token, accept=accept)
        if outcome.status != 200:
            failures.append(f"GET {path}: {outcome!r}")
    return failures


# MARK: - disk full


def fill(folder: str) -> int:
    """Fills the filesystem under `folder` to the last byte; returns the bytes written."""
    written = 0
    with open(os.path.join(folder, "filler"), "wb", buffering=0) as f:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 8, 1):
            block = b"\0" * size
            while True:
                try:
                    f.write(block)
                    written += size
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break
    return written


def not_root(report: Report, name: str, why: str) -> bool:
    """True (and the check reported as skipped) when this process is not root."""
    if os.geteuid() == 0:
        return False
    report.note(f"skipped: {why} needs root")
    report.info(name, "skipped (not root)")
    return True


def new_server(binary: str, folder: str, workdir: str, name: str) -> tuple[SluiceProcess, str]:
    """A server on a new store in `folder`, its log in the work folder; and its token."""
    token = "faults-" + secrets.token_hex(12)
    server = SluiceProcess(binary, folder, token)
    server.log_path = os.path.join(workdir, f"server-{name}.log")
    return server, token


def check_disk_full(binary: str, plan: dict, report: Report, workdir: str) -> None:
    if not_root(report, "disk-full", "mounting a tmpfs"):
        return
    mount_point = os.path.join(workdir, "tmpfs")
    os.makedirs(mount_point)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount_point], capture_output=True, text=True)
    if result.returncode != 0:
        report.note(f"skipped: mount -t tmpfs was refused: {result.stderr.strip()}")
        report.info("disk-full", "skipped (mount not permitted)")
        return
    server, token = new_server(binary, mount_point, workdir, "disk-full")
    try:
        server.start()
        api = PublicAPI(server.base_url, token)
        ids = seed_workspace(api, "full")
        before_fill = every_write(server.base_url, token, ids, "before-full")
        report.expect("writes before the disk fills: all acknowledged", [], [k for k, o in before_fill.items() if not o.acked])
        ids["spare"] = api.create_source("full-spare-2")[0]
        filled = fill(mount_point)
        report.info("tmpfs filled", f"{filled // 1024} KB of filler, {shutil.disk_usage(mount_point).free} bytes free")

        outcomes: dict[str, Outcome] = {}
        for round_ in range(plan["full_rounds"]):
            for name, outcome in every_write(server.base_url, token, ids, f"full-{round_}").items():
                outcomes[f"{name} (round {round_ + 1})" if name.startswith("delete") else name] = outcome
        # The spare source is deleted once; the rounds after that find it gone (404), which is right.
        refused = {k: o for k, o in outcomes.items() if not o.acked and not (k.startswith("delete source") and o.status == 404)}
        problems = [f"{k}: {o.unavailable_problem()}" for k, o in refused.items() if o.unavailable_problem()]
        report.expect("writes on a full disk: each 2xx or 503 in the envelope with Retry-After", [], problems[:5])
        report.expect("writes on a full disk: some refused with 503", "> 0", len(refused), ok=len(refused) > 0)
        report.info("writes on a full disk: acknowledged / refused", f"{len(outcomes) - len(refused)} / {len(refused)}")
        if refused:
            report.note("a refusal on a full disk: " + repr(next(iter(refused.values()))))
        report.expect("reads on a full disk: all 200", [], reads_ok(server.base_url, token, ids))
        report.expect("server alive on a full disk", True, server.proc.poll() is None)
        during = state(server.base_url, token, ids)

        os.remove(os.path.join(mount_point, "filler"))
        deadline, recovered = time.monotonic() + 10, None
        while time.monotonic() < deadline:
            recovered = call(server.base_url, "POST", "/sources", {"slug": "after-full", "enabled": True, "metadataId": SOURCE_METADATA}, token)
            if recovered.acked:
                break
            time.sleep(0.5)
        report.expect("space freed: writes work again without a restart", "201", recovered.status if recovered else None,
                      ok=recovered is not None and recovered.acked)
        after = state(server.base_url, token, ids)
        expected_after = dict(during, sources=sorted(during["sources"] + [("after-full", "")]))
        report.expect("nothing written while the disk was full appears afterwards", True, after == expected_after)
        slugs = {slug for slug, _ in after["sources"]}
        half = [k for k, o in outcomes.items() if k.startswith("create source ") and o.status == 503 and k.split()[-1] in slugs]
        lost = [k for k, o in outcomes.items() if k.startswith("create source ") and o.acked and k.split()[-1] not in slugs]
        report.expect("sources refused with 503 are absent, acknowledged ones present", ([], []), (half, lost))
        audit = audit_index(server.base_url, token)
        sources = listing(server.base_url, token, "/sources", "sources")
        missing_audit = [s["slug"] for s in sources if ("Source Created", s["id"]) not in audit]
        report.expect("every source has its Source Created audit event", [], missing_audit)
        server.stop()
        server.start()
        report.expect("after a restart: the same store", True, state(server.base_url, token, ids) == after)
        server.stop()
        check, foreign = integrity(server.database)
        report.expect("PRAGMA integrity_check / foreign_key_check", ("ok", 0), (check, foreign))
    finally:
        server.stop()
        subprocess.run(["umount", "-l", mount_point], capture_output=True)


# MARK: - read-only


def check_read_only(binary: str, plan: dict, report: Report, workdir: str) -> None:
    if not_root(report, "read-only", "starting the server as another user (so that chmod binds it)"):
        return
    if shutil.which("setpriv") is None:
        report.note("skipped: setpriv (util-linux) is not installed")
        report.info("read-only", "skipped (no setpriv)")
        return
    folder = os.path.join(workdir, "read-only")
    os.makedirs(folder)
    server, token = new_server(binary, folder, workdir, "read-only")
    try:
        server.start()
        api = PublicAPI(server.base_url, token)
        ids = seed_workspace(api, "ro")
        before = state(server.base_url, token, ids)
        server.stop()
        # As `nobody`, with the file read-only and its folder writable (SQLite's -shm and -wal live there).
        copy = os.path.join(folder, "sluice-bin")
        shutil.copy(binary, copy)
        os.chmod(copy, 0o755)
        wrapper = os.path.join(folder, "as-nobody")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "{copy}" "$@"\n')
        os.chmod(wrapper, 0o755)
        os.chmod(workdir, 0o755)
        os.chown(folder, 65534, 65534)
        for name in os.listdir(folder):
            if name.startswith("sluice.sqlite"):
                os.chown(os.path.join(folder, name), 65534, 65534)
        os.chmod(server.database, 0o444)
        server.binary = wrapper
        try:
            server.start()
        except RuntimeError as error:
            report.expect("starts on a read-only store (reads go on)", True, False)
            report.note(str(error)[:1500])
            return
        report.expect("starts on a read-only store (reads go on)", True, True)
        report.expect("reads on a read-only store: all 200", [], reads_ok(server.base_url, token, ids))
        outcomes = every_write(server.base_url, token, ids, "ro-write")
        problems = [f"{k}: {o.unavailable_problem()}" for k, o in outcomes.items() if o.unavailable_problem()]
        report.expect("every kind of write on a read-only store: 503 in the envelope", [], problems)
        report.expect("server alive", True, server.proc.poll() is None)
        server.stop()
        os.chmod(server.database, 0o644)
        server.binary = binary
        server.start()
        report.expect("writable again: the store holds exactly what it held before", True, state(server.base_url, token, ids) == before)
        write = call(server.base_url, "POST", "/sources", {"slug": "ro-after", "enabled": True, "metadataId": SOURCE_METADATA}, token)
        report.expect("writable again: writes work", 201, write.status)
        server.stop()
        check, foreign = integrity(server.database)
        report.expect("PRAGMA integrity_check / foreign_key_check", ("ok", 0), (check, foreign))
    finally:
        server.stop()


# MARK: - kill -9 during writes of every kind


class Resource:
    """One resource a writer owns, named uniquely; its operations in order, with their outcomes."""

    def __init__(self, kind: str, name: str):
        self.kind = kind
        self.name = name
        self.id: str | None = None
        self.ops: list[tuple[str, str | None, Outcome]] = []  # (op, value, outcome): op create|update|delete

    def allowed_final(self) -> list[str | None]:
        """The values the resource may hold at the end (None: absent): the last acknowledged state, or any lost op after it."""
        states: list[str | None] = []
        current: str | None = None
        last_acked = -1
        for i, (op, value, outcome) in enumerate(self.ops):
            if outcome.acked:
                last_acked = i
        possible: list[str | None] = []
        for i, (op, value, outcome) in enumerate(self.ops):
            after = None if op == "delete" else value
            if i <= last_acked:
                if outcome.acked:
                    current = after
            elif outcome.unknown:
                states.append(after)
        possible = [current] + states
        return possible


class Writer(threading.Thread):
    """Creates, updates and deletes resources of one kind, one request at a time, until stopped."""

    def __init__(self, kind: str, base: str, token: str, ids: dict, rng: random.Random):
        super().__init__(daemon=True)
        self.kind, self.base, self.token, self.ids, self.rng = kind, base, token, ids, rng
        self.resources: list[Resource] = []
        self.running = True
        self.requests = 0

    def path(self, resource: Resource | None = None) -> str:
        root = {"source": "/sources", "destination": "/destinations",
                "subscription": f"/destinations/{self.ids['destination']}/subscriptions"}[self.kind]
        return root if resource is None else f"{root}/{resource.id}"

    def create_body(self, name: str) -> dict:
        if self.kind == "source":
            return {"slug": name, "enabled": True, "metadataId": SOURCE_METADATA}
        if self.kind == "destination":
            return {"sourceId": self.ids["source"], "metadataId": WEBHOOKS_ACTIONS, "name": name, "settings": {"sharedSecret": "s"}}
        return {"name": name, "actionId": WEBHOOKS_SEND_ACTION, "trigger": 'type = "track" and event = "v0"', "enabled": False,
                "settings": {"url": "http://127.0.0.1:9/x"}}

    def update_body(self, value: str) -> dict:
        if self.kind == "source":
            return {"name": value}
        if self.kind == "destination":
            return {"enabled": value == "on"}
        return {"input": {"trigger": f'type = "track" and event = "{value}"'}}

    def run(self) -> None:
        accept = ALPHA if self.kind == "subscription" else None
        n = 0
        while self.running:
            live = [r for r in self.resources if r.id and not any(op == "delete" and o.acked for op, _, o in r.ops)]
            choice = self.rng.random()
            if not live or choice < 0.4:
                n += 1
                resource = Resource(self.kind, f"{self.kind[:3]}-{n}-{uuid.uuid4().hex[:6]}")
                outcome = call(self.base, "POST", self.path(), self.create_body(resource.name), self.token, accept=accept)
                value = self.value_after_create()
                resource.ops.append(("create", value, outcome))
                if outcome.acked:
                    data = outcome.body["data"]
                    item = data.get("source") or data.get("destination") or data.get("destinationSubscription")
                    resource.id = item["id"]
                self.resources.append(resource)
            elif choice < 0.8:
                resource = self.rng.choice(live)
                value = self.next_value()
                outcome = call(self.base, "PATCH", self.path(resource), self.update_body(value), self.token, accept=accept)
                resource.ops.append(("update", value, outcome))
            else:
                resource = self.rng.choice(live)
                outcome = call(self.base, "DELETE", self.path(resource), token=self.token, accept=accept)
                resource.ops.append(("delete", None, outcome))
            self.requests += 1
            if outcome.status is None:
                time.sleep(0.05)

    def value_after_create(self) -> str:
        return {"source": "", "destination": "on", "subscription": "v0"}[self.kind]

    def next_value(self) -> str:
        if self.kind == "destination":
            return self.rng.choice(["on", "off"])
        return f"v{self.rng.randrange(1, 1_000_000)}"

    def observed(self, base: str) -> dict[str, tuple[str, str]]:
        """name -> (id, value) of every resource of this kind in the store now."""
        if self.kind == "source":
            return {x["slug"]: (x["id"], x.get("name") or "") for x in listing(base, self.token, "/sources", "sources")}
        if self.kind == "destination":
            return {x["name"]: (x["id"], "on" if x["enabled"] else "off") for x in listing(base, self.token, "/destinations", "destinations")}
        items = listing(base, self.token, self.path(), "subscriptions", accept=ALPHA)
        return {x["name"]: (x["id"], x["trigger"].partition('event = "')[2].rstrip('"')) for x in items}


class EventSender(threading.Thread):
    """Posts batches of track events; remembers which were acknowledged."""

    def __init__(self, base: str, write_key: str):
        super().__init__(daemon=True)
        self.base, self.write_key = base, write_key
        self.acked: set[str] = set()
        self.sent = 0
        self.running = True

    def run(self) -> None:
        n = 0
        while self.running:
            batch = []
            for _ in range(5):
                n += 1
                batch.append({"type": "track", "userId": "u", "event": "Crash", "messageId": f"ev-{n}-{uuid.uuid4().hex[:6]}"})
            outcome = call(self.base, "POST", "/v1/batch", {"batch": batch}, write_key=self.write_key)
            self.sent += len(batch)
            if outcome.acked:
                self.acked.update(m["messageId"] for m in batch)
            time.sleep(0.05 if outcome.status else 0.1)


def check_crash_writes(binary: str, plan: dict, seed: int, report: Report, workdir: str) -> None:
    rng = random.Random(seed)
    folder = os.path.join(workdir, "crash-writes")
    os.makedirs(folder)
    receiver = Receiver(shared_secret="crash-secret").start()
    server, token = new_server(binary, folder, workdir, "crash-writes")
    try:
        server.start()
        api = PublicAPI(server.base_url, token)
        source_id, write_key = api.create_source("crash-main")
        destination_id, _ = api.create_webhook(source_id, receiver.url, "crash-secret")
        ids = dict(source=source_id, destination=destination_id)
        writers = [Writer(kind, server.base_url, token, ids, random.Random(rng.random())) for kind in ("source", "destination", "subscription")]
        events = EventSender(server.base_url, write_key)
        for thread in writers + [events]:
            thread.start()
        for _ in range(plan["kills"]):
            time.sleep(rng.uniform(*plan["kill_gap"]))
            server.kill9()
            time.sleep(0.2)
            server.start()
        time.sleep(rng.uniform(*plan["kill_gap"]))
        for thread in writers + [events]:
            thread.running = False
        for thread in writers + [events]:
            thread.join()
        report.info("kills", plan["kills"])
        report.info("writes tried (sources, destinations, subscriptions)", ", ".join(str(w.requests) for w in writers))
        lost = sum(1 for w in writers for r in w.resources for _, _, o in r.ops if o.unknown)
        refused = sum(1 for w in writers for r in w.resources for _, _, o in r.ops if o.status is None and not o.sent)
        report.info("writes whose answer was lost to a kill / refused while down", f"{lost} / {refused}")

        wrong, lost_acked, checked = [], 0, 0
        audit = audit_index(server.base_url, token)
        created_type = {"source": "Source Created", "destination": "Integration Created", "subscription": "Destination Subscription Created"}
        deleted_type = {"source": "Source Deleted", "destination": "Integration Deleted", "subscription": "Destination Subscription Deleted"}
        missing_audit = []
        for writer in writers:
            observed = writer.observed(server.base_url)
            for resource in writer.resources:
                checked += 1
                found = observed.get(resource.name)
                actual = found[1] if found else None
                allowed = resource.allowed_final()
                if actual not in allowed:
                    wrong.append(f"{resource.kind} {resource.name}: {actual!r} not in {allowed!r}; ops {[(op, v, o.status) for op, v, o in resource.ops]}")
                    if any(o.acked for _, _, o in resource.ops):
                        lost_acked += 1
                if found and (created_type[writer.kind], found[0]) not in audit:
                    missing_audit.append(f"{resource.kind} {resource.name}: no Created event")
                if resource.id and any(op == "delete" and o.acked for op, _, o in resource.ops) and (deleted_type[writer.kind], resource.id) not in audit:
                    missing_audit.append(f"{resource.kind} {resource.name}: acknowledged delete without its Deleted event")
            # Nothing in the store that no writer asked for.
            known = {r.name for r in writer.resources}
            strays = [name for name in observed if name not in known and not name.startswith("crash-") and name != "e2e receiver" and name != "e2e send"]
            if strays:
                wrong.append(f"{writer.kind}: in the store but never sent: {strays[:5]}")
        report.expect("every resource in a state its acknowledged writes allow", [], wrong[:5])
        report.info("resources checked", checked)
        report.expect("every existing resource has its Created audit event, every acknowledged delete its Deleted one", [], missing_audit[:5])

        deadline = time.monotonic() + plan["settle"]
        while time.monotonic() < deadline:
            delivered = {h.header_message_id for h in receiver.snapshot() if h.status == 200}
            if events.acked <= delivered:
                break
            time.sleep(0.5)
        delivered = {h.header_message_id for h in receiver.snapshot() if h.status == 200}
        report.expect("every acknowledged event delivered", 0, len(events.acked - delivered))
        report.info("events sent / acknowledged / delivered", f"{events.sent} / {len(events.acked)} / {len(delivered)}")
        server.stop()
        check, foreign = integrity(server.database)
        report.expect("PRAGMA integrity_check / foreign_key_check", ("ok", 0), (check, foreign))
    finally:
        server.stop()
        receiver.close()


# MARK: - main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument("--check", choices=["disk-full", "read-only", "crash-writes", "all"], default="all")
    parser.add_argument("--bin", default=os.environ.get("SLUICE_BIN"))
    parser.add_argument("--seed", type=int, default=20251128)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    binary = args.bin
    if not binary:
        path = subprocess.run(["swift", "build", "--show-bin-path"], capture_output=True, text=True, check=True).stdout.strip()
        binary = os.path.join(path, "sluice")
    binary = os.path.abspath(binary)
    plan = MODES[args.mode]
    checks = ["disk-full", "read-only", "crash-writes"] if args.check == "all" else [args.check]
    failed = 0
    for name in checks:
        workdir = tempfile.mkdtemp(prefix=f"sluice-faults-{name}-")
        report = Report(f"faults: {name} ({args.mode})")
        began = time.monotonic()
        try:
            if name == "disk-full":
                check_disk_full(binary, plan, report, workdir)
            elif name == "read-only":
                check_read_only(binary, plan, report, workdir)
            else:
                check_crash_writes(binary, plan, args.seed, report, workdir)
        except Exception:  # noqa: BLE001
            report.expect("ran to the end", "no exception", traceback.format_exc()[-1500:], ok=False)
        report.info("time", f"{time.monotonic() - began:.1f} s")
        print(report.render(), flush=True)
        if report.failed:
            failed += 1
        if report.failed or args.keep:
            print(f"work folder kept: {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"e2e_faults: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
