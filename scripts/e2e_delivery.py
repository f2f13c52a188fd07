#!/usr/bin/env python3
"""End-to-end delivery checks against a real `sluice serve` (docs/testing.md explains them).

    scripts/e2e_delivery.py [--mode short|long] [--check agreement|expiry|crash|pause|replay|events-cli|all] [--bin PATH]
                            [--seed N] [--keep] [--base-url URL --token TOKEN]

  agreement  Events sent with Segment's official Python library (segment-analytics-python) reach a
             Webhooks (Actions) destination whose receiver answers 200, 500 once, or 400 by event;
             the receiver's log, the delivery-metrics answer and /metrics agree exactly with what
             was sent; non-track events are not delivered; every X-Signature verifies.
  expiry     With --retry-window 4s, events the receiver always refuses with 503 are retried, then
             expire; the counts agree with the receiver's log.
  crash      Events sent while the server is killed with SIGKILL and restarted on the same file and
             port; every acknowledged event reaches the receiver at least once.
  pause      Events sent to a paused destination are held, across a SIGKILL and restart, and
             resuming delivers each exactly once; the audit trail and delivery-metrics agree.
  replay     Events the receiver refuses once (400) are kept as failed events with their reason;
             replaying them delivers each exactly once more, and the counts agree, the event log's
             and the Delivery Overview's included (sent = delivered + failed + filtered).
  events-cli `sluice events failed`, `replay` and `tail` (once, and following) against the running
             server: what they print agrees with what was sent and refused.
  throttle   A rate limit of 20 events a second spreads a burst over time; a 429 with Retry-After: 2
             holds every event of the destination for two seconds; each event is delivered once.
  breaker    With --failing-after 2s and --probe-interval 1s, a receiver that is down for a while:
             the destination is marked failing (audit event, /metrics), only probes reach the
             receiver, one at a time; when it is back a probe succeeds, and every event is delivered
             exactly once, the Delivery Overview and delivery-metrics agreeing.

Each check starts its own server on a throw-away SQLite file (--bin, else $SLUICE_BIN, else the
debug build). With --base-url and --token the agreement check uses that server instead (its
/metrics counters are compared as differences). Exits 1 when any check fails, 2 on bad usage.
Needs the packages of scripts/requirements-ci.txt (scripts/setup-python puts them in .venv-ci).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.sluice import PublicAPI, SluiceProcess, configure_analytics, default_binary, metric, wait_until  # noqa: E402

# What each form does. Times are upper bounds for waiting, not how long a passing run takes.
MODES = {
    "short": dict(
        track=300, other=60,  # agreement: track events (60% ok, 20% fail-once, 20% reject) and others
        settle=60,  # seconds to wait for deliveries to settle
        expiry_fail=20, expiry_ok=20,
        crash_rate=100, crash_batch=10, crash_senders=2, kills=3, kill_gap=(1.0, 3.0), crash_settle=90,
        paused=200,  # events held by a paused destination
        replay=100,  # events of the replay check, half refused once
        throttled=60,  # events sent at once to a destination limited to 20 a second
        outage=50,  # events sent while the breaker check's receiver is down
    ),
    "long": dict(
        track=3000, other=600,
        settle=240,
        expiry_fail=100, expiry_ok=100,
        crash_rate=300, crash_batch=20, crash_senders=4, kills=12, kill_gap=(0.5, 4.0), crash_settle=600,
        paused=2000,
        replay=1000,
        throttled=300,
        outage=500,
    ),
}
EXPIRY_WINDOW = 4.0  # seconds: --retry-window of the expiry check
EXPIRY_SLACK = 1.5  # seconds past the window within which a late attempt is still let through (clocks, scheduling)
STOP_TIMEOUT = 5.0  # seconds a server gets to exit on SIGTERM before it is killed


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Run:
    """What every check shares: options, the binary, the work folders to remove or keep."""

    def __init__(self, args):
        self.args = args
        self.cfg = MODES[args.mode]
        self.binary = args.bin or (None if args.base_url else default_binary())
        self.workdirs: list[str] = []
        self.servers: list[SluiceProcess] = []

    def server(self, name: str, extra_args: tuple[str, ...] = ()) -> SluiceProcess:
        workdir = tempfile.mkdtemp(prefix=f"sluice-e2e-{name}.")
        self.workdirs.append(workdir)
        token = "e2e-" + secrets.token_hex(16)
        server = SluiceProcess(self.binary, workdir, token, extra_args=extra_args)
        self.servers.append(server)
        server.start()
        return server

    def webhook_pipeline(self, name: str, extra_args: tuple[str, ...] = ()):
        """A receiver, a server, and a source `e2e-NAME` with a Webhooks (Actions) destination that signs for the receiver:
        (receiver, server, api, source id, write key, destination id)."""
        secret = "e2e-secret-" + secrets.token_hex(8)
        receiver = Receiver(secret).start()
        server = self.server(name, extra_args)
        api = PublicAPI(server.base_url, server.token)
        source_id, write_key = api.create_source(f"e2e-{name}")
        destination_id, _ = api.create_webhook(source_id, receiver.url, secret)
        return receiver, server, api, source_id, write_key, destination_id

    def stop(self, server: SluiceProcess, report: Report) -> None:
        server.stop_and_report(report, STOP_TIMEOUT)

    def cleanup(self, failed: bool) -> None:
        for server in self.servers:
            server.kill9()
        if failed or self.args.keep:
            for workdir in self.workdirs:
                log(f"kept {workdir} (server.log, sluice.sqlite)")
        else:
            for workdir in self.workdirs:
                shutil.rmtree(workdir, ignore_errors=True)


def outcome(values: dict, name: str) -> float:
    return metric(values, f'sluice_delivery_attempts_total{{outcome="{name}"}}')


def delta(after: dict, before: dict, name: str) -> int:
    return int(metric(after, name) - metric(before, name))


def ms(seconds: float) -> int:
    return int(seconds * 1000)


# --- agreement ---------------------------------------------------------------------------------

def check_agreement(run: Run) -> Report:
    import segment.analytics as analytics

    cfg, rng = run.cfg, random.Random(run.args.seed)
    report = Report(f"delivery agreement ({run.args.mode}: {cfg['track']} track events, {cfg['other']} others)")
    secret = "e2e-secret-" + secrets.token_hex(8)
    receiver = Receiver(secret).start()
    server = None
    if run.args.base_url:
        api = PublicAPI(run.args.base_url, run.args.token)
    else:
        server = run.server("agreement")
        api = PublicAPI(server.base_url, server.token)
    tag = secrets.token_hex(4)
    source_id, write_key = api.create_source(f"e2e-agreement-{tag}")
    destination_id, _ = api.create_webhook(source_id, receiver.url, secret)
    before = api.prometheus()

    # The plan: track events with a fate each, and non-track events the trigger must not deliver.
    n = cfg["track"]
    fates = ["ok"] * (n - 2 * (n // 5)) + ["fail-once"] * (n // 5) + ["reject"] * (n // 5)
    rng.shuffle(fates)
    plan = [("track", f"e2e-{tag}-t{i:05d}", fate) for i, fate in enumerate(fates)]
    others = ["identify", "page", "screen", "group", "alias"]
    plan += [(others[i % len(others)], f"e2e-{tag}-o{i:05d}", None) for i in range(cfg["other"])]
    rng.shuffle(plan)
    expected = {kind: {mid for k, mid, f in plan if k == "track" and f == kind} for kind in ("ok", "fail-once", "reject")}
    non_track = {mid for k, mid, _ in plan if k != "track"}
    track_ids = {mid for k, mid, _ in plan if k == "track"}

    # Send with the official library: its background consumer batches (up to 100 a request) to /v1/batch.
    errors = configure_analytics(analytics, write_key, api.base_url)
    log(f"agreement: sending {len(plan)} events with segment-analytics-python {analytics.VERSION} to {api.base_url}")
    sent_at = time.monotonic()
    for i, (kind, mid, fate) in enumerate(plan):
        user = f"user-{i % 37}"
        if kind == "track":
            analytics.track(user_id=user, event="E2E Order Completed", properties={"fate": fate, "n": i}, message_id=mid)
        elif kind == "identify":
            analytics.identify(user_id=user, traits={"plan": "e2e", "fate": "ok"}, message_id=mid)
        elif kind == "page":
            analytics.page(user_id=user, category="Docs", name="E2E", properties={"fate": "ok"}, message_id=mid)
        elif kind == "screen":
            analytics.screen(user_id=user, name="E2E", properties={"fate": "ok"}, message_id=mid)
        elif kind == "group":
            analytics.group(user_id=user, group_id="g-1", traits={"fate": "ok"}, message_id=mid)
        else:
            analytics.alias(previous_id=f"anon-{i}", user_id=user, message_id=mid)
    analytics.flush()
    analytics.shutdown()
    analytics.default_client = None
    send_seconds = time.monotonic() - sent_at
    log(f"agreement: sent in {send_seconds:.1f} s; waiting for deliveries to settle (at most {cfg['settle']} s)")

    def settled() -> bool:
        hits = receiver.snapshot()
        ok_ids = {h.header_message_id for h in hits if h.status == 200}
        rejected = {h.header_message_id for h in hits if h.status == 400}
        if not (expected["ok"] | expected["fail-once"]) <= ok_ids or not expected["reject"] <= rejected:
            return False
        m = api.delivery_metrics(destination_id, source_id)
        p = api.prometheus()
        return (m["successes"] + m["discarded"] + m["expired"] >= n
                and metric(p, "sluice_delivery_jobs_waiting") == 0 and metric(p, "sluice_delivery_jobs_in_flight") == 0)

    in_time = wait_until(settled, cfg["settle"])
    settle_seconds = time.monotonic() - sent_at
    time.sleep(2.0)  # anything sent late (a second delivery of a reject, say) shows up now
    hits = receiver.snapshot()
    m = api.delivery_metrics(destination_id, source_id)
    after = api.prometheus()
    receiver.close()

    by_id: dict[str, list] = {}
    for h in hits:
        by_id.setdefault(h.header_message_id, []).append(h)
    report.expect("library errors (on_error)", 0, len(errors))
    for e in errors[:3]:
        report.note(f"library error: {e}")
    report.expect(f"settled within {cfg['settle']} s", "yes", "yes" if in_time else "no")
    report.info("seconds to send / to settle", f"{send_seconds:.1f} / {settle_seconds:.1f}")

    def all_ok(ids, rule) -> tuple[int, list[str]]:
        good = [mid for mid in ids if rule(by_id.get(mid, []))]
        return len(good), sorted(set(ids) - set(good))[:3]

    def ok_rule(hs):
        return len(hs) >= 1 and all(h.status == 200 for h in hs)

    def fail_once_rule(hs):
        return len(hs) >= 2 and hs[0].status == 500 and any(h.status == 200 for h in hs[1:])

    for kind, rule, text in (
        ("ok", ok_rule, "ok events delivered (200), at least once"),
        ("fail-once", fail_once_rule, "fail-once events: 500, then delivered (200)"),
        ("reject", lambda hs: len(hs) == 1 and hs[0].status == 400, "reject events: one request (400), never again"),
    ):
        good, bad = all_ok(expected[kind], rule)
        if not report.expect(text, len(expected[kind]), good):
            report.note(f"{kind} examples not as expected: " + ", ".join(f"{mid} -> {[h.status for h in by_id.get(mid, [])]}" for mid in bad))
    report.expect("non-track events received", 0, sum(len(by_id.get(mid, [])) for mid in non_track))
    report.expect("requests for unknown messageIds", 0, sum(len(v) for k, v in by_id.items() if k not in track_ids | non_track))
    report.expect("X-Segment-Message-Id = body messageId", len(hits), sum(h.header_message_id == h.body_message_id for h in hits))
    report.expect("X-Signature verifies (HMAC-SHA1)", len(hits), sum(h.signature_ok for h in hits))
    report.expect("bodies are track events", len(hits), sum(h.type == "track" for h in hits))
    minimum = len(expected["ok"]) + 2 * len(expected["fail-once"]) + len(expected["reject"])
    report.info("requests received (minimum without duplicates)", f"{len(hits)} ({minimum})")
    distinct_200 = {h.header_message_id for h in hits if h.status == 200}
    report.info("duplicate successful deliveries", sum(h.status == 200 for h in hits) - len(distinct_200))

    ok, fail_once, reject = (len(expected[k]) for k in ("ok", "fail-once", "reject"))
    successes = ok + fail_once
    for name, value in (
        ("successes", successes), ("successes_on_first_attempt", ok), ("successes_after_retry", fail_once),
        ("expired", 0), ("discarded", reject), ("retried", fail_once),
        ("time_to_success", successes), ("time_to_first_attempt", n),
    ):
        report.expect(f"delivery-metrics {name}", value, m.get(name))
    elapsed_ms = ms(time.monotonic() - sent_at) + 60_000
    for name in ("time_to_success_average", "time_to_success_p95", "time_to_first_attempt_average", "time_to_first_attempt_p95"):
        value = m.get(name)
        report.expect(f"delivery-metrics {name} (ms)", f"0..{elapsed_ms}", value, isinstance(value, (int, float)) and 0 <= value <= elapsed_ms)
    if fail_once > 0.06 * successes:
        # More than 5% of successes waited for a retry, whose backoff is at least 0.5 s.
        report.expect("time_to_success_p95 covers the retries (ms)", ">= 500", m.get("time_to_success_p95"), (m.get("time_to_success_p95") or 0) >= 500)

    report.expect("/metrics events ingested (difference)", len(plan), delta(after, before, "sluice_events_ingested_total"))
    for name, value in (("success", successes), ("retried", fail_once), ("discarded", reject), ("expired", 0)):
        report.expect(f"/metrics attempts {name} (difference)", value, int(outcome(after, name) - outcome(before, name)))
    for name in ("sluice_events_pending", "sluice_delivery_jobs_waiting", "sluice_delivery_jobs_in_flight"):
        report.expect(f"/metrics {name}", 0, int(metric(after, name)))
    if server:
        run.stop(server, report)
    return report


# --- expiry ------------------------------------------------------------------------------------

def check_expiry(run: Run) -> Report:
    cfg = run.cfg
    n_fail, n_ok = cfg["expiry_fail"], cfg["expiry_ok"]
    report = Report(f"expiry (--retry-window {EXPIRY_WINDOW:g}s: {n_fail} always refused with 503, {n_ok} ok)")
    receiver, server, api, source_id, write_key, destination_id = run.webhook_pipeline("expiry", ("--retry-window", f"{EXPIRY_WINDOW:g}s"))
    events = [("fail-always", f"exp-f{i:04d}") for i in range(n_fail)] + [("ok", f"exp-o{i:04d}") for i in range(n_ok)]
    random.Random(run.args.seed).shuffle(events)
    batch = [{"type": "track", "userId": "u", "event": "E2E Expiry", "messageId": mid, "properties": {"fate": fate}} for fate, mid in events]
    sent = time.monotonic()
    status = api.post_batch(write_key, batch)
    acked = time.monotonic()
    report.expect("POST /v1/batch", 200, status)
    log(f"expiry: {len(batch)} events sent; waiting for the {EXPIRY_WINDOW:g} s window to close")

    def settled() -> bool:
        m = api.delivery_metrics(destination_id, source_id)
        return m["successes"] + m["discarded"] + m["expired"] >= len(batch)

    in_time = wait_until(settled, EXPIRY_WINDOW + 30)
    settle_seconds = time.monotonic() - sent
    time.sleep(1.5)
    hits = receiver.snapshot()
    m = api.delivery_metrics(destination_id, source_id)
    p = api.prometheus()
    receiver.close()

    fail_ids = {mid for fate, mid in events if fate == "fail-always"}
    ok_ids = {mid for fate, mid in events if fate == "ok"}
    fail_hits = [h for h in hits if h.header_message_id in fail_ids]
    attempts = {mid: sum(1 for h in fail_hits if h.header_message_id == mid) for mid in fail_ids}
    report.expect(f"settled within {EXPIRY_WINDOW + 30:g} s", "yes", "yes" if in_time else "no")
    report.info("seconds to settle", f"{settle_seconds:.1f}")
    report.expect("refused events tried at least twice", n_fail, sum(a >= 2 for a in attempts.values()))
    report.info("attempts per refused event (min / max)", f"{min(attempts.values(), default=0)} / {max(attempts.values(), default=0)}")
    # receivedAt is before the answer, so the window closed at acked + EXPIRY_WINDOW at the latest.
    late = [h for h in fail_hits if h.at - acked > EXPIRY_WINDOW + EXPIRY_SLACK]
    report.expect(f"attempts more than {EXPIRY_SLACK:g} s after the window closed", 0, len(late))
    report.expect("ok events delivered", n_ok, len({h.header_message_id for h in hits if h.header_message_id in ok_ids and h.status == 200}))
    report.expect("X-Signature verifies (HMAC-SHA1)", len(hits), sum(h.signature_ok for h in hits))
    for name, value in (
        ("successes", n_ok), ("successes_on_first_attempt", n_ok), ("successes_after_retry", 0),
        ("expired", n_fail), ("discarded", 0), ("time_to_first_attempt", len(batch)),
    ):
        report.expect(f"delivery-metrics {name}", value, m.get(name))
    for name, value in (("success", n_ok), ("discarded", 0), ("expired", n_fail)):
        report.expect(f"/metrics attempts {name}", value, int(outcome(p, name)))
    # retried counts failed attempts followed by another: the receiver's requests for refused events, less
    # the last one of each. A retry scheduled just before the window closes and then expired at pickup is
    # counted without an attempt: at most one such per event, so that is a warning, more is a failure.
    retried = len(fail_hits) - n_fail
    for label, seen in (("delivery-metrics retried", m.get("retried")), ("/metrics attempts retried", int(outcome(p, "retried")))):
        within = isinstance(seen, (int, float)) and retried <= seen <= retried + n_fail
        report.expect(f"{label} (bounds)", f"{retried}..{retried + n_fail}", seen, within)
        if within:
            report.warn(f"{label} (exact)", retried, seen, seen == retried)
    report.expect("/metrics sluice_delivery_jobs_waiting", 0, int(metric(p, "sluice_delivery_jobs_waiting")))
    run.stop(server, report)
    return report


# --- crash -------------------------------------------------------------------------------------

class Sender(threading.Thread):
    """Posts batches of track events at a steady rate until stopped; remembers which were acknowledged (200)."""

    def __init__(self, api: PublicAPI, write_key: str, rate: float, batch: int, prefix: str):
        super().__init__(name=f"sender-{prefix}", daemon=True)
        self.api, self.write_key, self.rate, self.batch, self.prefix = api, write_key, rate, batch, prefix
        self.stopping = threading.Event()
        self.acked: set[str] = set()
        self.unacked: set[str] = set()
        self.failures: dict[str, int] = {}
        self.requests = 0

    def run(self) -> None:
        seq = 0
        interval = self.batch / self.rate
        next_at = time.monotonic()
        while not self.stopping.is_set():
            ids = [f"crash-{self.prefix}-{seq + i:06d}" for i in range(self.batch)]
            seq += self.batch
            batch = [{"type": "track", "userId": f"u{i % 13}", "event": "E2E Crash", "messageId": mid, "properties": {"fate": "ok"}}
                     for i, mid in enumerate(ids)]
            self.requests += 1
            try:
                status = self.api.post_batch(self.write_key, batch, timeout=10)
                reason = None if status == 200 else f"HTTP {status}"
            except OSError as error:
                reason = type(getattr(error, "reason", error)).__name__
            if reason is None:
                self.acked.update(ids)
            else:
                self.unacked.update(ids)
                self.failures[reason] = self.failures.get(reason, 0) + 1
            next_at += interval
            pause = next_at - time.monotonic()
            if pause > 0:
                self.stopping.wait(pause)
            else:
                next_at = time.monotonic()


def check_crash(run: Run) -> Report:
    cfg = run.cfg
    rng = random.Random(run.args.seed + 1)
    report = Report(f"crash (kill -9 x {cfg['kills']} while {cfg['crash_senders']} senders post {cfg['crash_rate']} events/s)")
    receiver, server, api, source_id, write_key, destination_id = run.webhook_pipeline("crash")
    senders = [Sender(api, write_key, cfg["crash_rate"] / cfg["crash_senders"], cfg["crash_batch"], f"s{i}") for i in range(cfg["crash_senders"])]
    log(f"crash: sending {cfg['crash_rate']} events/s; {cfg['kills']} kills, seed {run.args.seed}")
    began = time.monotonic()
    for sender in senders:
        sender.start()

    def acked() -> set[str]:
        return set().union(*(sender.acked for sender in senders))

    def stop_senders() -> None:
        for sender in senders:
            sender.stopping.set()
        for sender in senders:
            sender.join()

    restarts: list[float] = []
    for k in range(cfg["kills"]):
        time.sleep(rng.uniform(*cfg["kill_gap"]))
        server.kill9()
        time.sleep(rng.uniform(0.0, 0.3))
        try:
            restarts.append(server.start())
        except RuntimeError as error:
            stop_senders()
            receiver.close()
            report.expect(f"restart {k + 1} answers /healthz", "yes", "no")
            report.note(str(error))
            return report
        log(f"crash: kill {k + 1}: restarted in {restarts[-1]:.2f} s; {len(acked())} events acknowledged so far")
    time.sleep(1.0)
    stop_senders()
    send_seconds = time.monotonic() - began
    acknowledged = acked()
    unacknowledged = set().union(*(sender.unacked for sender in senders))
    failures: dict[str, int] = {}
    for sender in senders:
        for reason, count in sender.failures.items():
            failures[reason] = failures.get(reason, 0) + count
    log(f"crash: {len(acknowledged)} acknowledged; waiting for them to arrive (at most {cfg['crash_settle']} s)")

    def delivered_ids() -> set[str]:
        return {h.header_message_id for h in receiver.snapshot() if h.status == 200 and h.complete}

    def settled() -> bool:
        if not acknowledged <= delivered_ids():
            return False
        p = api.prometheus()
        return all(metric(p, name) == 0 for name in ("sluice_events_pending", "sluice_delivery_jobs_waiting", "sluice_delivery_jobs_in_flight"))

    in_time = wait_until(settled, cfg["crash_settle"])
    settle_seconds = time.monotonic() - began
    time.sleep(1.0)
    hits = receiver.snapshot()
    receiver.close()
    delivered = delivered_ids()
    missing = sorted(acknowledged - delivered)
    report.expect(f"settled within {cfg['crash_settle']} s", "yes", "yes" if in_time else "no")
    report.info("seconds sending / to settle", f"{send_seconds:.1f} / {settle_seconds:.1f}")
    report.info("restart seconds (each)", " ".join(f"{s:.2f}" for s in restarts))
    report.info("events sent / batch requests", f"{len(acknowledged) + len(unacknowledged)} / {sum(s.requests for s in senders)}")
    report.info("events not acknowledged (requests by reason)", f"{len(unacknowledged)} {failures}")
    report.expect("acknowledged events", "> 0", len(acknowledged), len(acknowledged) > 0)
    if not report.expect("acknowledged events delivered", len(acknowledged), len(acknowledged & delivered)):
        report.note(f"{len(missing)} acknowledged and never delivered, e.g. {missing[:5]}")
    report.info("unacknowledged events delivered anyway", len(unacknowledged & delivered))
    report.info("duplicate deliveries (requests - distinct)", len(hits) - len({h.header_message_id for h in hits}))
    report.expect("requests for unknown messageIds", 0, sum(1 for h in hits if h.header_message_id not in acknowledged | unacknowledged))
    # A request cut by the kill mid-body arrives in part: its signature is of the whole body, so only
    # complete requests can be checked (Sluice sends the cut one again after the restart).
    whole = [h for h in hits if h.complete]
    report.info("requests cut short by a kill", len(hits) - len(whole))
    report.expect("X-Signature verifies (HMAC-SHA1) on every complete request", len(whole), sum(h.signature_ok for h in whole))
    # Outcomes are committed with the job's completion: an event delivered twice across a crash counts once.
    m = api.delivery_metrics(destination_id, source_id)
    report.expect("delivery-metrics successes = distinct events delivered", len(delivered), m.get("successes"))
    report.expect("delivery-metrics discarded + expired", 0, (m.get("discarded") or 0) + (m.get("expired") or 0))
    p = api.prometheus()
    for name in ("sluice_events_pending", "sluice_delivery_jobs_waiting", "sluice_delivery_jobs_in_flight"):
        report.expect(f"/metrics {name} at the end", 0, int(metric(p, name)))
    run.stop(server, report)
    return report


# --- pause -------------------------------------------------------------------------------------

def check_pause(run: Run) -> Report:
    n = run.cfg["paused"]
    report = Report(f"pause ({n} events held by a paused destination across kill -9, then resumed)")
    receiver, server, api, source_id, write_key, destination_id = run.webhook_pipeline("pause")
    path = f"/sluice/destinations/{destination_id}/delivery"
    paused = api.request("POST", path + "/pause")["data"]["delivery"]
    report.expect("pause answers paused", True, paused["paused"])
    ids = [f"pause-{i:05d}" for i in range(n)]
    statuses = [api.post_batch(write_key, [{"type": "track", "userId": "u", "event": "E2E Pause", "messageId": mid}
                                           for mid in ids[k:k + 50]]) for k in range(0, n, 50)]
    report.expect("POST /v1/batch answers", "all 200", "all 200" if set(statuses) == {200} else str(statuses))

    def held() -> bool:
        p = api.prometheus()
        return metric(p, "sluice_events_pending") == 0 and metric(p, "sluice_delivery_jobs_waiting") == n

    report.expect("events routed and held as jobs", "yes", "yes" if wait_until(held, 30) else "no")
    server.kill9()
    log(f"pause: {n} events held; killed with SIGKILL, restarting")
    server.start()
    state = api.request("GET", path)["data"]["delivery"]
    report.expect("still paused after the restart", True, state["paused"])
    report.expect("pausedAt kept across the restart", paused["pausedAt"], state["pausedAt"])
    time.sleep(1.5)
    report.expect("requests to the receiver while paused", 0, len(receiver.snapshot()))
    report.expect("jobs waiting after the restart", n, int(metric(api.prometheus(), "sluice_delivery_jobs_waiting")))
    resumed = api.request("POST", path + "/resume")["data"]["delivery"]
    report.expect("resume answers not paused", False, resumed["paused"])

    def delivered() -> bool:
        return len({h.header_message_id for h in receiver.snapshot() if h.status == 200}) >= n

    report.expect("held events delivered after resuming", "yes", "yes" if wait_until(delivered, 60) else "no")
    time.sleep(1.0)
    hits = receiver.snapshot()
    receiver.close()
    report.expect("distinct events delivered", n, len({h.header_message_id for h in hits if h.header_message_id in set(ids)}))
    report.expect("requests (each event exactly once)", n, len(hits))
    report.expect("X-Signature verifies (HMAC-SHA1)", len(hits), sum(h.signature_ok for h in hits))
    report.expect("delivery-metrics successes", n, api.delivery_metrics(destination_id, source_id).get("successes"))
    audit = api.request("GET", f"/audit-events?pagination.count=50&resourceId={destination_id}")["data"]["events"]
    report.expect("audit events", ["Destination Delivery Resumed", "Destination Delivery Paused"],
                  [e["type"] for e in audit if e["type"].startswith("Destination Delivery")])
    report.expect("/metrics sluice_delivery_jobs_waiting at the end", 0, int(metric(api.prometheus(), "sluice_delivery_jobs_waiting")))
    run.stop(server, report)
    return report


# --- replay ------------------------------------------------------------------------------------

def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def check_replay(run: Run) -> Report:
    n = run.cfg["replay"]
    report = Report(f"replay ({n} events, half refused once with 400, kept as failed events, then replayed; "
                    "the event log and the Delivery Overview agree)")
    receiver, server, api, source_id, write_key, destination_id = run.webhook_pipeline("replay")
    fates = {f"replay-{i:05d}": ("reject-once" if i % 2 else "ok") for i in range(n)}
    refused = {mid for mid, fate in fates.items() if fate == "reject-once"}
    batch = [{"type": "track", "userId": "u", "event": "E2E Replay", "messageId": mid, "properties": {"fate": fate}}
             for mid, fate in fates.items()]
    # And identify calls, which the track-only subscription filters (NO_MATCHING_SUBSCRIPTION).
    others = n // 10
    batch += [{"type": "identify", "userId": f"u-{i}", "messageId": f"replay-identify-{i:04d}"} for i in range(others)]
    began = time.time()
    statuses = [api.post_batch(write_key, batch[k:k + 50]) for k in range(0, len(batch), 50)]
    report.expect("POST /v1/batch answers", "all 200", "all 200" if set(statuses) == {200} else str(statuses))

    def settled(total: int) -> bool:
        m = api.delivery_metrics(destination_id, source_id)
        return m["successes"] + m["discarded"] >= total

    report.expect("first deliveries settled", "yes", "yes" if wait_until(lambda: settled(n), 60) else "no")

    def overview(step: str) -> int:
        window = (f"sourceId={source_id}&granularity=MINUTE&startTime={iso(began - 120)}&endTime={iso(time.time() + 60)}"
                  + ("" if step == "successfully-received" else f"&destinationConfigId={destination_id}"))
        return api.request("GET", f"/delivery-overview/{step}?{window}")["data"]["total"]

    sent = len(batch)
    delivered, failed, filtered = overview("successful-delivery"), overview("failed-delivery"), overview("filtered-at-destination")
    report.expect("Delivery Overview: sent = received = delivered + failed + filtered",
                  (sent, sent, n - len(refused), len(refused), others),
                  (sent, overview("successfully-received"), delivered, failed, filtered),
                  sent == overview("successfully-received") == delivered + failed + filtered)
    listed = api.request("GET", f"/sluice/failed-events?destinationId={destination_id}&pagination.count=200")["data"]
    failed = listed["failedEvents"]
    report.expect("failed events listed", len(refused), listed["pagination"]["totalEntries"])
    report.expect("failed events are the refused ones", sorted(refused)[:3], sorted(e["messageId"] for e in failed)[:3],
                  {e["messageId"] for e in failed} == refused or len(refused) > 200)
    report.expect("each DISCARDED with reason HTTP 400 after 1 attempt", len(failed),
                  sum(e["status"] == "DISCARDED" and e["reason"] == "HTTP 400" and e["attempts"] == 1 for e in failed))
    report.expect("each holds its event", len(failed), sum(e["event"].get("messageId") == e["messageId"] for e in failed))
    replayed = api.request("POST", "/sluice/failed-events/replay", {"destinationId": destination_id})["data"]["replayed"]
    report.expect("replayed", len(refused), replayed)
    report.expect("every event delivered after the replay", "yes", "yes" if wait_until(lambda: settled(n + len(refused)), 60) else "no")
    time.sleep(1.0)
    hits = receiver.snapshot()
    receiver.close()
    per_id: dict[str, list[int]] = {}
    for h in hits:
        per_id.setdefault(h.header_message_id, []).append(h.status)
    report.expect("refused events: one 400, then one 200 after the replay", len(refused),
                  sum(per_id.get(mid) == [400, 200] for mid in refused))
    report.expect("other events: one 200, never sent again", n - len(refused),
                  sum(per_id.get(mid) == [200] for mid in fates if mid not in refused))
    report.expect("requests for unknown messageIds", 0, sum(1 for mid in per_id if mid not in fates))
    m = api.delivery_metrics(destination_id, source_id)
    report.expect("delivery-metrics successes", n, m.get("successes"))
    report.expect("delivery-metrics discarded", len(refused), m.get("discarded"))
    left = api.request("GET", f"/sluice/failed-events?destinationId={destination_id}&pagination.count=10")["data"]
    report.expect("failed events left", 0, left["pagination"]["totalEntries"])
    # The event log accounts for every request the receiver saw, by its answer.
    log_path = f"/sluice/destinations/{destination_id}/event-log?pagination.count=10"

    def logged(query: str = "") -> int:
        return api.request("GET", log_path + query)["data"]["pagination"]["totalEntries"]

    report.expect("event log entries = requests the receiver saw", len(hits), logged())
    report.expect("Delivery Overview after the replay: every track event delivered, the first refusals still counted",
                  (n, len(refused), others),
                  (overview("successful-delivery"), overview("failed-delivery"), overview("filtered-at-destination")))
    report.expect("event log DELIVERED = 200s answered", sum(h.status == 200 for h in hits), logged("&status=DELIVERED"))
    report.expect("event log DISCARDED = 400s answered", sum(h.status == 400 for h in hits), logged("&status=DISCARDED"))
    if refused:
        mid = sorted(refused)[0]
        entries = api.request("GET", log_path + f"&messageId={mid}")["data"]["attempts"]
        report.expect("a replayed event's log, newest first", [["DELIVERED", 200], ["DISCARDED", 400]],
                      [[e["status"], (e["response"] or {}).get("status")] for e in entries])
        report.expect("its logged body is the event sent", True, all(mid in (e["request"] or {}).get("body", "") for e in entries))
    audit = api.request("GET", f"/audit-events?pagination.count=50&resourceId={destination_id}")["data"]["events"]
    report.expect("audit events", ["Destination Failed Events Replayed"],
                  [e["type"] for e in audit if e["type"].endswith("Replayed")])
    report.expect("/metrics sluice_delivery_jobs_waiting at the end", 0, int(metric(api.prometheus(), "sluice_delivery_jobs_waiting")))
    run.stop(server, report)
    return report


# --- throttle and breaker ----------------------------------------------------------------------

def send_track(api: PublicAPI, write_key: str, ids: list[str], event: str) -> list[int]:
    return [api.post_batch(write_key, [{"type": "track", "userId": "u", "event": event, "messageId": mid} for mid in ids[k:k + 50]])
            for k in range(0, len(ids), 50)]


def check_throttle(run: Run) -> Report:
    n = run.cfg["throttled"]
    rate = 20
    report = Report(f"throttle ({n} events at once to a destination limited to {rate} a second; then a 429 with Retry-After: 2)")
    receiver, server, api, source_id, write_key, destination_id = run.webhook_pipeline("throttle")
    path = f"/sluice/destinations/{destination_id}/delivery"
    state = api.request("PATCH", path, {"rateLimit": {"eventsPerSecond": rate}})["data"]["delivery"]
    report.expect("PATCH answers the limit", {"eventsPerSecond": rate}, state["rateLimit"])
    ids = [f"throttle-{i:05d}" for i in range(n)]
    statuses = send_track(api, write_key, ids, "E2E Throttle")
    report.expect("POST /v1/batch answers", "all 200", "all 200" if set(statuses) == {200} else str(statuses))

    def delivered(wanted: set[str]) -> bool:
        return wanted <= {h.header_message_id for h in receiver.snapshot() if h.status == 200}

    report.expect("every event delivered", "yes", "yes" if wait_until(lambda: delivered(set(ids)), 60) else "no")
    hits = [h for h in receiver.snapshot() if h.header_message_id in set(ids)]
    spread = max(h.at for h in hits) - min(h.at for h in hits)
    # One second's burst, then `rate` a second: the last goes at least (n - rate) / rate seconds after the first.
    least = (n - rate) / rate
    report.expect(f"seconds from the first request to the last (at least {least * 0.8:.2f})", f">= {least * 0.8:.2f}",
                  f"{spread:.2f}", spread >= least * 0.8)
    report.expect("requests (each event exactly once)", n, len(hits))
    report.info("events a second", f"{n / max(spread, 0.001):.1f}")
    api.request("PATCH", path, {"rateLimit": None})

    # A 429 with Retry-After: 2 holds every event of the destination, not only the one it answered.
    receiver.outage, receiver.retry_after = 429, "2"
    first = ["after-00000"]
    send_track(api, write_key, first, "E2E Retry-After")
    report.expect("the 429 reached", "yes", "yes" if wait_until(lambda: any(h.status == 429 for h in receiver.snapshot()), 30) else "no")
    refused_at = max(h.at for h in receiver.snapshot() if h.status == 429)
    receiver.outage = None
    held = wait_until(lambda: api.request("GET", path)["data"]["delivery"]["heldUntil"] is not None, 10)
    report.expect("the destination is held (heldUntil set)", True, held)
    later = [f"after-{i:05d}" for i in range(1, 11)]
    send_track(api, write_key, later, "E2E Retry-After")
    report.expect("every event delivered after the hold", "yes", "yes" if wait_until(lambda: delivered(set(first + later)), 60) else "no")
    waited = min(h.at for h in receiver.snapshot() if h.header_message_id in set(later)) - refused_at
    report.expect("seconds from the 429 to the next request (at least 1.8)", ">= 1.8", f"{waited:.2f}", waited >= 1.8)
    receiver.close()
    run.stop(server, report)
    return report


def check_breaker(run: Run) -> Report:
    n = run.cfg["outage"]
    report = Report(f"breaker ({n} events sent while the receiver is down; --failing-after 2s, --probe-interval 1s)")
    receiver, server, api, source_id, write_key, destination_id = run.webhook_pipeline(
        "breaker", ("--failing-after", "2s", "--probe-interval", "1s"))
    path = f"/sluice/destinations/{destination_id}/delivery"
    receiver.outage = 503
    began = time.time()
    ids = [f"breaker-{i:05d}" for i in range(n)]
    statuses = send_track(api, write_key, ids, "E2E Breaker")
    report.expect("POST /v1/batch answers", "all 200", "all 200" if set(statuses) == {200} else str(statuses))
    marked = wait_until(lambda: api.request("GET", path)["data"]["delivery"]["failing"], 60)
    report.expect("the destination is marked failing", "yes", "yes" if marked else "no")
    state = api.request("GET", path)["data"]["delivery"]
    report.expect("failingSince and failuresSince set", (True, True), (state["failingSince"] is not None, state["failuresSince"] is not None))
    p = api.prometheus()
    report.expect("/metrics sluice_destinations_failing", 1, int(metric(p, "sluice_destinations_failing")))
    report.expect("/metrics marked failing", 1, int(metric(p, 'sluice_destination_health_changes_total{change="failing"}')))
    before = len(receiver.snapshot())
    time.sleep(3.0)
    probes = len(receiver.snapshot()) - before
    report.expect("requests in 3 s while failing (probes, one a second at most)", "<= 4", probes, probes <= 4)
    receiver.outage = None

    def settled() -> bool:
        return set(ids) <= {h.header_message_id for h in receiver.snapshot() if h.status == 200}

    report.expect("every event delivered once it is back", "yes", "yes" if wait_until(settled, 60) else "no")
    time.sleep(1.0)
    hits = receiver.snapshot()
    receiver.close()
    report.expect("events delivered with 200 exactly once", n, sum(1 for mid in ids if [h.status for h in hits if h.header_message_id == mid].count(200) == 1))
    report.expect("requests for unknown messageIds", 0, sum(1 for h in hits if h.header_message_id not in set(ids)))
    state = api.request("GET", path)["data"]["delivery"]
    report.expect("no longer failing", (False, None, None), (state["failing"], state["failingSince"], state["failuresSince"]))
    audit = api.request("GET", f"/audit-events?pagination.count=50&resourceId={destination_id}")["data"]["events"]
    report.expect("audit events", ["Destination Delivery Recovered", "Destination Delivery Failing"],
                  [e["type"] for e in audit if e["type"].startswith("Destination Delivery")])
    p = api.prometheus()
    report.expect("/metrics sluice_destinations_failing at the end", 0, int(metric(p, "sluice_destinations_failing")))
    report.expect("/metrics recovered", 1, int(metric(p, 'sluice_destination_health_changes_total{change="recovered"}')))
    window = (f"sourceId={source_id}&destinationConfigId={destination_id}&granularity=MINUTE"
              f"&startTime={iso(began - 120)}&endTime={iso(time.time() + 60)}")
    delivered = api.request("GET", f"/delivery-overview/successful-delivery?{window}")["data"]["total"]
    failed = api.request("GET", f"/delivery-overview/failed-delivery?{window}")["data"]["total"]
    report.expect("Delivery Overview: sent = delivered, none failed", (n, 0), (delivered, failed))
    m = api.delivery_metrics(destination_id, source_id)
    report.expect("delivery-metrics successes", n, m.get("successes"))
    run.stop(server, report)
    return report


# --- the events commands ---------------------------------------------------------------------

def check_events_cli(run: Run) -> Report:
    report = Report("sluice events tail, failed and replay against the running server (20 events, half refused once)")
    receiver, server, api, source_id, write_key, destination_id = run.webhook_pipeline("events-cli")
    fates = {f"cli-{i:03d}": ("reject-once" if i % 2 else "ok") for i in range(20)}
    refused = {mid for mid, fate in fates.items() if fate == "reject-once"}
    api.post_batch(write_key, [{"type": "track", "userId": "u-cli", "event": "E2E CLI", "messageId": mid, "properties": {"fate": fate}}
                               for mid, fate in fates.items()])

    def settled(total: int) -> bool:
        m = api.delivery_metrics(destination_id, source_id)
        return m["successes"] + m["discarded"] >= total

    report.expect("first deliveries settled", "yes", "yes" if wait_until(lambda: settled(20), 60) else "no")
    connection = ["--url", server.base_url, "--token", server.token]

    def events(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([run.binary, "events", *args, *connection], capture_output=True, text=True, timeout=timeout)

    failed = events("failed", "--destination", destination_id, "--json")
    listed = [json.loads(line) for line in failed.stdout.splitlines()]
    report.expect("events failed --json: exit 0, the refused ones", (0, sorted(refused)), (failed.returncode, sorted(e["messageId"] for e in listed)))
    text = events("failed", "--destination", destination_id)
    report.expect("events failed: a line each, the count on stderr", (10, "10 failed events"),
                  (len(text.stdout.splitlines()), text.stderr.strip()))
    missing = events("failed", "--destination", "nope")
    report.expect("an unknown destination: exit 1 with the server's message", (1, True),
                  (missing.returncode, "404" in missing.stderr and "nope" in missing.stderr))
    unreachable = subprocess.run([run.binary, "events", "failed", "--url", "http://127.0.0.1:9", "--token", "t"],
                                 capture_output=True, text=True, timeout=60)
    report.expect("a server that cannot be reached: exit 1, said so", (1, True),
                  (unreachable.returncode, "cannot reach" in unreachable.stderr))
    nothing = events("replay")
    report.expect("replay with nothing named: a usage error", True, nothing.returncode not in (0, 1) and "--destination" in nothing.stderr)
    replayed = events("replay", "--destination", destination_id)
    report.expect("events replay --destination", (0, "replayed 10"), (replayed.returncode, replayed.stdout.strip()))
    report.expect("every event delivered after the replay", "yes", "yes" if wait_until(lambda: settled(30), 60) else "no")
    logged = events("tail", destination_id, "--no-follow", "--lines", "200", "--json")
    entries = [json.loads(line) for line in logged.stdout.splitlines()]
    report.expect("events tail --no-follow: every attempt, oldest first", (0, 30, True),
                  (logged.returncode, len(entries), [int(e["id"]) for e in entries] == sorted(int(e["id"]) for e in entries)))
    # Following: a new event's attempt shows up as a new line.
    follower = subprocess.Popen([run.binary, "events", "tail", destination_id, "--lines", "0", "--interval", "0.2", *connection],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(follower.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        time.sleep(1.0)
        api.post_batch(write_key, [{"type": "track", "userId": "u-cli", "event": "E2E CLI Live", "messageId": "cli-live"}])
        wait_until(lambda: any("cli-live" in line for line in lines), 20)
        live = [line for line in lines if "cli-live" in line]
        report.expect("events tail follows: the new attempt appears", (1, True, True),
                      (len(live), any("DELIVERED" in line for line in live), any("E2E CLI Live" in line for line in live)))
    finally:
        follower.terminate()
        follower.wait(timeout=10)
    receiver.close()
    run.stop(server, report)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument(
        "--check", choices=("agreement", "expiry", "crash", "pause", "replay", "events-cli", "throttle", "breaker", "all"), default="all")
    parser.add_argument("--bin", help="the sluice binary (default $SLUICE_BIN, else the debug build)")
    parser.add_argument("--seed", type=int, default=20251128)
    parser.add_argument("--keep", action="store_true", help="keep the work folders (server.log, sluice.sqlite) even on success")
    parser.add_argument("--base-url", help="agreement check only: use this running server")
    parser.add_argument("--token", help="with --base-url: a Public API token of that server")
    args = parser.parse_args()
    if bool(args.base_url) != bool(args.token):
        parser.error("--base-url and --token go together")
    if args.base_url and args.check != "agreement":
        parser.error("--base-url is for --check agreement")

    run = Run(args)
    checks = {"agreement": check_agreement, "expiry": check_expiry, "crash": check_crash, "pause": check_pause,
              "replay": check_replay, "events-cli": check_events_cli, "throttle": check_throttle, "breaker": check_breaker}
    return run_checks("e2e_delivery", {name: partial(check, run) for name, check in checks.items()}, args.check, run.servers, run.cleanup)


if __name__ == "__main__":
    sys.exit(main())
