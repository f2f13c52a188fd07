#!/usr/bin/env python3
"""End-to-end check of destination filters against a real `sluice serve` (issue 15, docs/filters.md).

    scripts/e2e_filters.py [--mode short|long] [--bin PATH] [--seed N] [--keep]

A source, a Webhooks (Actions) destination whose `send` subscription (trigger `type = "track"`) posts
to a local receiver, and four filters on it:

  DROP              if event = 'Test Event'
  DROP_PROPERTIES   if all: properties.email and context.ip
  SAMPLE 0.5        if event = 'Sampled', path userId
  DROP (disabled)   if all: must have no effect

Track events sent with Segment's official Python library (segment-analytics-python): ordinary events
with an email and an ip set, "Test Event"s, "Sampled" events spread over a fixed set of userIds
(several events each), and a few identify calls that no trigger takes. Once the receiver has settled:

  - no Test Event arrived; every ordinary event did (so the disabled DROP did nothing);
  - no delivered body has properties.email or context.ip, and every other property is intact;
  - the userIds of the Sampled events that arrived are exactly those that
    POST /destination/filters/preview keeps, asked once per userId with the same filter and payload
    (preview answers what delivery does), each user's events all arrived or none did, and the kept
    share of users is roughly the percent (4.5 binomial standard deviations: 34% to 66% of 200);
  - through the preview, SAMPLE 0.1 and 0.5 with path userId keep about that share of userIds
    numbered as applications number them (user-0, user-1, ...; 1, 2, ...; cust-10000, ...);
  - the preview of the DROP_PROPERTIES filter gives the properties and context that were delivered;
  - delivered = delivery-metrics successes; sluice_events_filtered_total of the destination: DROP =
    the Test Events, SAMPLE = the Sampled events not delivered; track events sent = delivered +
    filtered (identify events take no part: no trigger matches them, no filter drops them).

The server runs on a throw-away SQLite file (--bin, else $SLUICE_BIN, else the debug build). Exits
1 when the check fails, 2 on bad usage. Needs the packages of scripts/requirements-ci.txt
(scripts/setup-python puts them in .venv-ci).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.sluice import PublicAPI, SluiceProcess, configure_analytics, default_binary, metric, wait_until  # noqa: E402

# What each form sends. settle is an upper bound for waiting, not how long a passing run takes.
MODES = {
    "short": dict(ordinary=150, test=40, users=200, per_user=2, identify=10, settle=90, spread_ids=200),
    "long": dict(ordinary=1500, test=300, users=1000, per_user=3, identify=100, settle=300, spread_ids=1000),
}
SAMPLE_PERCENT = 0.5
GRACE = 2.0  # seconds to wait after settling for anything late (a duplicate, a counter)
STOP_TIMEOUT = 5.0
PREVIEW_PROPERTY_SAMPLES = 20  # ordinary events whose DROP_PROPERTIES preview is compared with what arrived

# Sampling spread through the preview: userIds as applications number them, each style with its first spread_ids values.
SPREAD_STYLES = (
    ("user-0, user-1, ...", lambda i: f"user-{i}"),
    ("1, 2, ... (strings)", lambda i: str(i + 1)),
    ("cust-10000, cust-10001, ...", lambda i: f"cust-{10000 + i}"),
)
SPREAD_PERCENTS = (0.1, 0.5)

TEST_FILTER = {"if": "event = 'Test Event'", "actions": [{"type": "DROP"}]}
PROPERTIES_FILTER = {"if": "all", "actions": [{"type": "DROP_PROPERTIES", "fields": {"properties": ["email"], "context": ["ip"]}}]}
SAMPLE_FILTER = {"if": "event = 'Sampled'", "actions": [{"type": "SAMPLE", "percent": SAMPLE_PERCENT, "path": "userId"}]}
DISABLED_FILTER = {"if": "all", "actions": [{"type": "DROP"}]}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class BodyReceiver(Receiver):
    """The e2e receiver (200 for every event here), keeping each body it got as well: messageId -> [event]."""

    def __init__(self, shared_secret: str):
        super().__init__(shared_secret)
        self.bodies: dict[str, list] = {}

    def _read_body(self, handler):  # Receiver._handle calls self._read_body(handler)
        body, complete = Receiver._read_body(handler)
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        key = handler.headers.get("X-Segment-Message-Id") or (event.get("messageId") if isinstance(event, dict) else None) or ""
        with self.lock:
            self.bodies.setdefault(key, []).append(event)
        return body, complete

    def bodies_snapshot(self) -> dict[str, list]:
        with self.lock:
            return {k: list(v) for k, v in self.bodies.items()}


def share_bounds(percent: float, n: int) -> tuple[float, float]:
    """Where the kept share of n distinct values sampled at `percent` falls: 4.5 binomial standard deviations either
    side (0.341..0.659 for 0.5 of 200), which an unbiased hash leaves about once in 150,000 times."""
    margin = 4.5 * (percent * (1 - percent) / n) ** 0.5
    return max(0.0, percent - margin), min(1.0, percent + margin)


def filtered(values: dict, destination_id: str, reason: str) -> int:
    return int(metric(values, f'sluice_events_filtered_total{{destination_id="{destination_id}",reason="{reason}"}}'))


class Run:
    def __init__(self, args):
        self.args = args
        self.cfg = MODES[args.mode]
        self.binary = args.bin or default_binary()
        self.workdirs: list[str] = []
        self.servers: list[SluiceProcess] = []

    def server(self, name: str) -> SluiceProcess:
        workdir = tempfile.mkdtemp(prefix=f"sluice-e2e-{name}.")
        self.workdirs.append(workdir)
        server = SluiceProcess(self.binary, workdir, "e2e-" + secrets.token_hex(16))
        self.servers.append(server)
        server.start()
        return server

    def cleanup(self, failed: bool) -> None:
        for server in self.servers:
            server.kill9()
        for workdir in self.workdirs:
            if failed or self.args.keep:
                log(f"kept {workdir} (server.log, sluice.sqlite)")
            else:
                shutil.rmtree(workdir, ignore_errors=True)


def check_filters(run: Run) -> Report:
    import segment.analytics as analytics

    cfg, rng, seed = run.cfg, random.Random(run.args.seed), run.args.seed
    n_ordinary, n_test, n_users, per_user, n_identify = (cfg[k] for k in ("ordinary", "test", "users", "per_user", "identify"))
    n_sampled = n_users * per_user
    report = Report(f"destination filters ({run.args.mode}: {n_ordinary} ordinary, {n_test} Test Event, "
                    f"{n_sampled} Sampled over {n_users} users, {n_identify} identify)")
    secret = "e2e-secret-" + secrets.token_hex(8)
    receiver = BodyReceiver(secret).start()
    server = run.server("filters")
    api = PublicAPI(server.base_url, server.token)
    tag = secrets.token_hex(4)
    source_id, write_key = api.create_source(f"e2e-filters-{tag}")
    destination_id, _ = api.create_webhook(source_id, receiver.url, secret)

    created = []
    for title, spec, enabled in (
        ("drop test events", TEST_FILTER, True),
        ("no PII", PROPERTIES_FILTER, True),
        ("half the sampled users", SAMPLE_FILTER, True),
        ("disabled: drop everything", DISABLED_FILTER, False),
    ):
        f = api.request("POST", f"/destination/{destination_id}/filters", {
            "sourceId": source_id, "if": spec["if"], "actions": spec["actions"], "title": title, "enabled": enabled,
            "description": "e2e_filters",
        })["data"]["filter"]
        created.append(f)
    listed = api.request("GET", f"/destination/{destination_id}/filters")["data"]["filters"]
    report.expect("filters listed (4 created, one disabled)", "4, enabled [T, T, T, F]",
                  f"{len(listed)}, enabled [{', '.join('T' if f['enabled'] else 'F' for f in listed)}]")
    before = api.prometheus()

    # The plan: (kind, messageId, userId, properties, context), sent in a shuffled order.
    context = {"ip": "203.0.113.7", "locale": "en-GB", "campaign": {"name": "e2e"}}
    plan = []
    for i in range(n_ordinary):
        props = {"email": f"o{i}@example.com", "plan": "pro", "n": i, "fate": "ok", "cart": {"items": 2, "total": 19.5}}
        plan.append(("ordinary", f"flt-{tag}-o{i:05d}", f"user-{i % 37}", "E2E Order Completed", props))
    for i in range(n_test):
        props = {"email": f"t{i}@example.com", "n": i, "fate": "ok"}
        plan.append(("test", f"flt-{tag}-t{i:05d}", f"user-{i % 37}", "Test Event", props))
    sampled_user = {}
    for u in range(n_users):
        for k in range(per_user):
            mid = f"flt-{tag}-s{u:04d}-{k}"
            sampled_user[mid] = f"sampled-{seed}-{u:04d}"
            plan.append(("sampled", mid, sampled_user[mid], "Sampled", {"email": f"s{u}@example.com", "n": k, "fate": "ok"}))
    for i in range(n_identify):
        plan.append(("identify", f"flt-{tag}-i{i:05d}", f"user-{i % 37}", None, {"email": f"i{i}@example.com"}))
    rng.shuffle(plan)
    ids = {kind: {p[1] for p in plan if p[0] == kind} for kind in ("ordinary", "test", "sampled", "identify")}
    sent_props = {p[1]: p[4] for p in plan}
    n_track = n_ordinary + n_test + n_sampled

    errors = configure_analytics(analytics, write_key, api.base_url)
    log(f"filters: sending {len(plan)} events with segment-analytics-python {analytics.VERSION} to {api.base_url}")
    sent_at = time.monotonic()
    for kind, mid, user, event, props in plan:
        if kind == "identify":
            analytics.identify(user_id=user, traits=dict(props), context=json.loads(json.dumps(context)), message_id=mid)
        else:
            analytics.track(user_id=user, event=event, properties=json.loads(json.dumps(props)), context=json.loads(json.dumps(context)), message_id=mid)
    analytics.flush()
    analytics.shutdown()
    analytics.default_client = None
    send_seconds = time.monotonic() - sent_at

    # What the preview keeps, per sampled user, with the filter and the payload as sent (asked while delivery runs).
    def payload(mid: str) -> dict:
        return {"type": "track", "event": "Sampled", "userId": sampled_user[mid], "messageId": mid,
                "properties": sent_props[mid], "context": context}

    preview_kept_users, preview_errors = set(), []
    first_of_user = {}
    for mid in sorted(ids["sampled"]):
        first_of_user.setdefault(sampled_user[mid], mid)
    for user, mid in sorted(first_of_user.items()):
        answer = api.request("POST", "/destination/filters/preview", {"filter": SAMPLE_FILTER, "payload": payload(mid)})["data"]
        if answer.get("inputPayload") != payload(mid):
            preview_errors.append(f"{user}: inputPayload differs from the payload")
        if answer.get("result") is not None:
            if answer["result"] != payload(mid):
                preview_errors.append(f"{user}: a kept result differs from the payload")
            preview_kept_users.add(user)
    expected_sampled = {mid for mid in ids["sampled"] if sampled_user[mid] in preview_kept_users}
    log(f"filters: sent in {send_seconds:.1f} s; preview keeps {len(preview_kept_users)} of {n_users} sampled users; "
        f"waiting for deliveries to settle (at most {cfg['settle']} s)")

    def delivered_ids() -> set[str]:
        return {h.header_message_id for h in receiver.snapshot() if h.status == 200}

    def settled() -> bool:
        # Independent of the preview: every track event delivered or filtered, every queue empty.
        p = api.prometheus()
        if int(metric(p, "sluice_events_ingested_total") - metric(before, "sluice_events_ingested_total")) < len(plan):
            return False
        if any(metric(p, name) != 0 for name in ("sluice_events_pending", "sluice_delivery_jobs_waiting", "sluice_delivery_jobs_in_flight")):
            return False
        return len(delivered_ids()) + filtered(p, destination_id, "DROP") + filtered(p, destination_id, "SAMPLE") >= n_track

    in_time = wait_until(settled, cfg["settle"])
    settle_seconds = time.monotonic() - sent_at
    time.sleep(GRACE)
    hits = receiver.snapshot()
    bodies = receiver.bodies_snapshot()
    m = api.delivery_metrics(destination_id, source_id)
    after = api.prometheus()

    report.expect("library errors (on_error)", 0, len(errors))
    for e in errors[:3]:
        report.note(f"library error: {e}")
    report.expect(f"settled within {cfg['settle']} s", "yes", "yes" if in_time else "no")
    report.info("seconds to send / to settle", f"{send_seconds:.1f} / {settle_seconds:.1f}")
    report.expect("/metrics events ingested (difference)", len(plan), int(metric(after, "sluice_events_ingested_total") - metric(before, "sluice_events_ingested_total")))

    delivered = {h.header_message_id for h in hits if h.status == 200}
    known = set().union(*ids.values())
    report.expect("requests for unknown messageIds", 0, sum(1 for h in hits if h.header_message_id not in known))
    report.expect("X-Signature verifies (HMAC-SHA1)", len(hits), sum(h.signature_ok for h in hits))
    report.expect("bodies are track events", len(hits), sum(h.type == "track" for h in hits))
    report.info("duplicate deliveries (requests - distinct)", len(hits) - len({h.header_message_id for h in hits}))

    # DROP of Test Event; the disabled DROP for all did nothing.
    report.expect("Test Events delivered (DROP if event = 'Test Event')", 0, len(delivered & ids["test"]))
    report.expect("ordinary events delivered (the disabled DROP all has no effect)", n_ordinary, len(delivered & ids["ordinary"]))
    report.expect("identify events delivered (no trigger matches)", 0, len(delivered & ids["identify"]))

    # DROP_PROPERTIES: properties.email and context.ip gone, everything else as sent.
    with_email, with_ip, props_changed, context_changed, examples = 0, 0, 0, 0, []
    all_bodies = [(mid, body) for mid, bs in bodies.items() for body in bs if isinstance(body, dict)]
    for mid, body in all_bodies:
        props = body.get("properties") if isinstance(body.get("properties"), dict) else {}
        ctx = body.get("context") if isinstance(body.get("context"), dict) else {}
        with_email += "email" in props
        with_ip += "ip" in ctx
        expected_props = {k: v for k, v in sent_props.get(mid, {}).items() if k != "email"}
        if props != expected_props:
            props_changed += 1
            examples.append(f"{mid}: properties {props} (expected {expected_props})")
        if ctx.get("locale") != context["locale"] or ctx.get("campaign") != context["campaign"] or "library" not in ctx:
            context_changed += 1
            examples.append(f"{mid}: context {ctx}")
    report.expect("delivered bodies with properties.email", 0, with_email)
    report.expect("delivered bodies with context.ip", 0, with_ip)
    report.expect("delivered bodies whose other properties are as sent", len(all_bodies), len(all_bodies) - props_changed)
    report.expect("delivered bodies whose other context is as sent (locale, campaign, library)", len(all_bodies), len(all_bodies) - context_changed)
    for example in examples[:3]:
        report.note(example)

    # Preview of DROP_PROPERTIES on ordinary events = what arrived (properties; context keys sent).
    agree, compared = 0, 0
    for mid in sorted(ids["ordinary"] & delivered)[:PREVIEW_PROPERTY_SAMPLES]:
        sent = {"type": "track", "event": "E2E Order Completed", "messageId": mid, "properties": sent_props[mid], "context": context}
        result = api.request("POST", "/destination/filters/preview", {"filter": PROPERTIES_FILTER, "payload": sent})["data"]["result"]
        body = next(b for b in bodies.get(mid, []) if isinstance(b, dict))
        compared += 1
        body_ctx = {k: v for k, v in (body.get("context") or {}).items() if k in context}
        if isinstance(result, dict) and result.get("properties") == body.get("properties") and result.get("context") == body_ctx:
            agree += 1
        elif compared - agree <= 3:
            report.note(f"{mid}: preview {result} vs delivered properties {body.get('properties')} context {body_ctx}")
    report.expect("preview of DROP_PROPERTIES = delivered properties and context", compared, agree, compared > 0 and agree == compared)
    test_preview = api.request("POST", "/destination/filters/preview", {"filter": TEST_FILTER, "payload": {
        "type": "track", "event": "Test Event", "userId": "u"}})["data"]["result"]
    report.expect("preview of DROP for a Test Event", "null", json.dumps(test_preview), test_preview is None)

    # SAMPLE: the users that arrived are the ones the preview keeps, all of a user's events or none.
    arrived_sampled = delivered & ids["sampled"]
    arrived_users = {sampled_user[mid] for mid in arrived_sampled}
    report.expect("preview answers (inputPayload as sent; a kept result unchanged)", 0, len(preview_errors))
    for error in preview_errors[:3]:
        report.note(error)
    only_delivery = sorted(arrived_users - preview_kept_users)
    only_preview = sorted(preview_kept_users - arrived_users)
    if not report.expect("sampled users delivered = sampled users the preview keeps", len(preview_kept_users), len(arrived_users),
                         arrived_users == preview_kept_users):
        report.note(f"delivered, preview drops: {len(only_delivery)} e.g. {only_delivery[:5]}")
        report.note(f"preview keeps, not delivered: {len(only_preview)} e.g. {only_preview[:5]}")
    split = {sampled_user[mid] for mid in ids["sampled"] - delivered} & arrived_users
    report.expect(f"users with some but not all of their {per_user} Sampled events delivered", 0, len(split))
    share, (low, high) = len(arrived_users) / n_users, share_bounds(SAMPLE_PERCENT, n_users)
    report.expect(f"kept share of the {n_users} sampled users delivered (percent {SAMPLE_PERCENT:g})", f"{low:.3f}..{high:.3f}",
                  f"{share:.3f} ({len(arrived_users)}/{n_users})", low <= share <= high)
    report.expect("Sampled events delivered = those of the users the preview keeps", len(expected_sampled), len(arrived_sampled),
                  arrived_sampled == expected_sampled)

    # The spread of SAMPLE with a path, through the preview (which the rows above show delivery agrees with): userIds
    # as applications number them keep about `percent` of them (share_bounds). The ids are fixed, so a run is never flaky.
    spread_n = cfg["spread_ids"]
    for style, make in SPREAD_STYLES:
        values = [make(i) for i in range(spread_n)]
        for percent in SPREAD_PERCENTS:
            spec = {"if": "all", "actions": [{"type": "SAMPLE", "percent": percent, "path": "userId"}]}
            kept = sum(api.request("POST", "/destination/filters/preview", {"filter": spec, "payload": {
                "type": "track", "event": "Spread", "userId": v}})["data"]["result"] is not None for v in values)
            low, high = share_bounds(percent, spread_n)
            report.expect(f"preview SAMPLE {percent:g} path userId: kept share of {spread_n} ids {style}", f"{low:.3f}..{high:.3f}",
                          f"{kept / spread_n:.3f} ({kept}/{spread_n})", low <= kept / spread_n <= high)

    # Counts: delivery-metrics counts deliveries only; /metrics counts what the filters kept back.
    drop, sample = filtered(after, destination_id, "DROP"), filtered(after, destination_id, "SAMPLE")
    report.expect("delivery-metrics successes = distinct events delivered", len(delivered), m.get("successes"))
    report.expect("delivery-metrics discarded + expired", 0, (m.get("discarded") or 0) + (m.get("expired") or 0))
    report.expect("delivery-metrics time_to_first_attempt (count) = delivered", len(delivered), m.get("time_to_first_attempt"))
    report.expect('/metrics sluice_events_filtered_total reason="DROP" = Test Events', n_test, drop)
    report.expect('/metrics sluice_events_filtered_total reason="SAMPLE" = Sampled events not delivered', n_sampled - len(arrived_sampled), sample)
    report.expect("track events sent = delivered + filtered (identify excluded: no trigger, no DROP)", n_track,
                  f"{len(delivered)} + {drop} + {sample} = {len(delivered) + drop + sample}", n_track == len(delivered) + drop + sample)
    other = {k: v for k, v in after.items() if k.startswith("sluice_events_filtered_total{") and f'"{destination_id}"' not in k}
    report.expect("/metrics filtered counters of other destinations", "none", other or "none", not other)
    for name in ("success", "retried", "discarded", "expired"):
        key = f'sluice_delivery_attempts_total{{outcome="{name}"}}'
        report.expect(f"/metrics attempts {name} (difference)", len(delivered) if name == "success" else 0, int(metric(after, key) - metric(before, key)))
    for name in ("sluice_events_pending", "sluice_delivery_jobs_waiting", "sluice_delivery_jobs_in_flight"):
        report.expect(f"/metrics {name}", 0, int(metric(after, name)))
    receiver.close()

    server.stop_and_report(report, STOP_TIMEOUT)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument("--bin", help="the sluice binary (default $SLUICE_BIN, else the debug build)")
    parser.add_argument("--seed", type=int, default=20251203, help="the shuffle and the sampled userIds")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server.log, sluice.sqlite) even on success")
    args = parser.parse_args()
    run = Run(args)
    return run_checks("e2e_filters", {"filters": lambda: check_filters(run)}, "filters", run.servers, run.cleanup)


if __name__ == "__main__":
    sys.exit(main())
