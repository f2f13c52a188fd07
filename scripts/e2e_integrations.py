#!/usr/bin/env python3
"""End-to-end check of the Amplitude (Actions) and Slack (Actions) integrations against a real `sluice serve`.

    scripts/e2e_integrations.py [--bin PATH] [--keep]

A stand-in HTTP server on 127.0.0.1 takes the place of Amplitude and Slack: Sluice runs with
`--endpoint-override` for api2.amplitude.com, api.amplitude.com and hooks.slack.com, so nothing
leaves the machine. The stand-in keeps every request whole (method, path, query, headers, body) and
answers 200 {"code":200}, unless told otherwise for a path: 429 with Retry-After once, or 400 always.

A source; an Amplitude (Actions) destination (apiKey, secretKey) with a subscription for every cloud
preset of the catalog (Track, Order Completed, Page, Screen and Identify Calls; the browser-only
session preset is left out) and one for mapUser (trigger `type = "alias"`, the action's field
defaults); a Slack (Actions) destination with a postToChannel subscription on Order Completed.
A Webhooks (Actions) copy of the track, page and screen events goes to the stand-in too: Sluice corrects
`timestamp` for the client's clock skew, and Amplitude's `time` is checked against the corrected one.
Events sent with Segment's Python library (segment-analytics-python), then checked as received:

  - track "Song Played": POST /2/httpapi, JSON, api_key, one event with event_type, user_id,
    event_properties as sent, time = the timestamp in epoch ms, library "segment", no price/revenue;
  - track "Order Completed": logPurchase to /2/httpapi, the main event with revenue, then one
    "Product Purchased" event a product; and Slack's POST /services/... with the templated text and
    the default username "Segment";
  - identify: POST /identify, form-urlencoded api_key and identification (JSON, user_properties
    holding the traits); page and screen: event_type "Viewed <name>";
  - retry: /identify answered 429 (Retry-After: 1) once; the identify arrives again, whole, >= 1 s later;
  - discard: /usermap answered 400; the alias is attempted exactly once;
  - delivery-metrics of the Amplitude destination: successes = requests answered 2xx, retried = the
    429s, discarded = the 400s; the Slack one: 1 success; neither key appears in Sluice's log.

The server runs on a throw-away SQLite file (--bin, else $SLUICE_BIN, else the debug build), at log
level debug so that the log check sees as much as Sluice ever writes. Exits 1 when a check fails,
2 on bad usage. Needs the packages of scripts/requirements-ci.txt (scripts/setup-python: .venv-ci).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.run import ScriptRun  # noqa: E402
from e2e_lib.sluice import PublicAPI, configure_analytics, metric, wait_until  # noqa: E402

AMPLITUDE = "5f7dd6d21ad74f3842b1fc47"
SLACK = "5f7dd8e302173ff732db5cc4"
API_KEY = "amp-key-123"
SECRET_KEY = "amp-secret"
OVERRIDDEN_HOSTS = ("api2.amplitude.com", "api.amplitude.com", "hooks.slack.com")
SLACK_PATH = "/services/T000/B000/XXXX"
AMPLITUDE_PATHS = ("/2/httpapi", "/batch", "/identify", "/groupidentify", "/usermap")
SETTLE = 20.0  # seconds to wait for a phase's deliveries, an upper bound
GRACE = 2.0  # seconds to wait after settling for anything late (a second attempt that must not come)
STOP_TIMEOUT = 5.0

USER = "user-e2e-integrations"
SONG = {"title": "So What", "artist": "Miles Davis", "duration_s": 545, "price": 0.99, "tags": ["jazz", "modal"]}
ORDER = {"order_id": "ord-42", "revenue": 37.5, "currency": "EUR", "products": [
    {"productId": "p-1", "name": "Vinyl", "price": 25.0, "quantity": 1},
    {"productId": "p-2", "name": "Poster", "price": 6.25, "quantity": 2},
]}
TRAITS = {"email": "ada@example.com", "plan": "pro", "logins": 7}
TRAITS_AGAIN = {"plan": "enterprise", "seats": 12}
PAGE_NAME, SCREEN_NAME = "Home", "Checkout"


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


@dataclass
class Seen:
    """One request the stand-in got, and what it answered."""

    at: float  # time.monotonic()
    method: str
    path: str
    query: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode(errors="replace"), keep_blank_values=True))


class StandIn(Receiver):
    """e2e_lib's receiver, answering by path instead: 200 {"code":200} unless `answer` says otherwise; every request
    is kept whole in `hits` (Seen)."""

    def __init__(self):
        super().__init__(None)
        self.once: dict[str, list[tuple[int, dict]]] = {}  # path -> answers to give first, in order
        self.always: dict[str, tuple[int, dict]] = {}  # path -> the answer after those

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, status: int, headers: dict | None = None, once: bool = False) -> None:
        with self.lock:
            if once:
                self.once.setdefault(path, []).append((status, headers or {}))
            else:
                self.always[path] = (status, headers or {})

    def _handle(self, handler) -> None:  # Receiver's handler calls it for every POST, PUT and PATCH
        body, _ = self._read_body(handler)
        url = urllib.parse.urlsplit(handler.path)
        with self.lock:
            queued = self.once.get(url.path)
            status, headers = queued.pop(0) if queued else self.always.get(url.path, (200, {}))
            self.hits.append(Seen(time.monotonic(), handler.command, url.path, url.query,
                                  {k.lower(): v for k, v in handler.headers.items()}, body, status))
        reply = json.dumps({"code": status}).encode()
        handler.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers, "Content-Length": str(len(reply))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(reply)

    def on(self, path: str, since: int = 0) -> list[Seen]:
        return [h for h in self.snapshot()[since:] if h.path == path]


class Run(ScriptRun):
    """What the check shares (e2e_lib.run)."""

    def __init__(self, args):
        super().__init__("integrations", args, {})

    def cleanup(self, failed: bool) -> None:
        """Work folders go even when a check failed (unless --keep); the tail of each server log is printed instead."""
        if failed and not self.args.keep:
            for server in self.servers:
                print(f"{server.log_path} (removed), last lines:\n{server.log_tail(30)}", file=sys.stderr, flush=True)
        super().cleanup(False)


def epoch_ms(moment: datetime) -> int:
    return int(round(moment.timestamp() * 1000))


def stored_times(hits: list[Seen]) -> dict[str, tuple[int, int]]:
    """messageId -> (timestamp, originalTimestamp) in epoch ms, from the events the Webhooks copy got: Sluice corrects
    `timestamp` for the client's clock skew (docs/delivery.md), so Amplitude's `time` is checked against that."""
    out = {}
    for h in hits:
        event = h.json() if h.path == "/hook" else None
        if isinstance(event, dict) and "timestamp" in event:
            out[event.get("messageId")] = (epoch_ms(datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))),
                                           epoch_ms(datetime.fromisoformat(event["originalTimestamp"].replace("Z", "+00:00"))))
    return out


def field_defaults(action: dict) -> dict:
    """The action's fields that have a default in the catalog, as subscription settings."""
    return {f["fieldKey"]: f["defaultValue"] for f in action["fields"] if f.get("defaultValue") is not None}


def create_destination(api: PublicAPI, source_id: str, metadata_id: str, name: str, settings: dict) -> str:
    return api.request("POST", "/destinations", {"sourceId": source_id, "metadataId": metadata_id, "enabled": True,
                                                 "name": name, "settings": settings})["data"]["destination"]["id"]


def subscribe(api: PublicAPI, destination_id: str, name: str, action_id: str, trigger: str, settings: dict) -> str:
    return api.request("POST", f"/destinations/{destination_id}/subscriptions", {
        "name": name, "actionId": action_id, "trigger": trigger, "enabled": True, "settings": settings,
    })["data"]["destinationSubscription"]["id"]


def send(write_key: str, host: str, calls) -> list[str]:
    """Sends `calls(analytics)` with Segment's Python library and waits for it to hand them over; returns its errors."""
    import segment.analytics as analytics

    errors = configure_analytics(analytics, write_key, host)
    calls(analytics)
    analytics.flush()
    analytics.shutdown()
    analytics.default_client = None
    return errors


def quiet(api: PublicAPI) -> bool:
    """No event waiting, no delivery job waiting or under way."""
    values = api.prometheus()
    return all(metric(values, name) == 0 for name in
               ("sluice_events_pending", "sluice_delivery_jobs_waiting", "sluice_delivery_jobs_in_flight"))


def amplitude_events(hits: list[Seen], event_type: str) -> list[Seen]:
    """The /2/httpapi requests whose first event has `event_type`."""
    out = []
    for h in hits:
        body = h.json() if h.path == "/2/httpapi" else None
        events = body.get("events") if isinstance(body, dict) else None
        if isinstance(events, list) and events and isinstance(events[0], dict) and events[0].get("event_type") == event_type:
            out.append(h)
    return out


def identification(hit: Seen) -> dict:
    try:
        value = json.loads(hit.form().get("identification", ""))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def check_logged_event(report: Report, label: str, hits: list[Seen], event_type: str, time_ms: int | None,
                       properties: dict | None) -> dict:
    """The rows every logEventV2 request shares; returns its first event ({} when not there)."""
    found = amplitude_events(hits, event_type)
    if not report.expect(f"{label}: requests to /2/httpapi with event_type {event_type!r}", 1, len(found)):
        return {}
    hit = found[0]
    body = hit.json()
    event = body["events"][0]
    report.expect(f"{label}: method, Content-Type", "POST application/json", f"{hit.method} {hit.media_type}")
    report.expect(f"{label}: api_key", API_KEY, body.get("api_key"))
    report.expect(f"{label}: events in the request", 1, len(body["events"]))
    report.expect(f"{label}: user_id", USER, event.get("user_id"))
    report.expect(f"{label}: time (epoch ms of the event's timestamp)", time_ms, event.get("time"))
    report.expect(f"{label}: library", "segment", event.get("library"))
    if properties is not None:
        report.expect(f"{label}: event_properties as sent", properties, event.get("event_properties"))
    return event


def check_integrations(run: Run) -> Report:
    report = Report("Amplitude (Actions) and Slack (Actions) through --endpoint-override")
    standin = StandIn().start()
    try:
        return check_with_standin(run, report, standin)
    finally:
        standin.close()


def check_with_standin(run: Run, report: Report, standin: StandIn) -> Report:
    standin.answer("/usermap", 400)
    overrides = tuple(arg for host in OVERRIDDEN_HOSTS for arg in ("--endpoint-override", f"{host}={standin.base}"))
    server = run.server(run.workdir("serve"), extra_args=overrides + ("--log-level", "debug"))
    api = PublicAPI(server.base_url, run.token)
    source_id, write_key = api.create_source(f"e2e-integrations-{secrets.token_hex(4)}")

    # Amplitude: every cloud preset, and mapUser (no preset) with its field defaults.
    catalog = api.request("GET", f"/catalog/destinations/{AMPLITUDE}")["data"]["destinationMetadata"]
    actions = {a["id"]: a for a in catalog["actions"]}
    presets = [p for p in catalog["presets"] if actions[p["actionId"]]["platform"] == "CLOUD"]
    report.expect("Amplitude cloud presets in the catalog",
                  "Identify Calls, Order Completed Calls, Page Calls, Screen Calls, Track Calls",
                  ", ".join(sorted(p["name"] for p in presets)))
    amplitude = create_destination(api, source_id, AMPLITUDE, "e2e Amplitude",
                                   {"apiKey": API_KEY, "secretKey": SECRET_KEY, "endpoint": "north_america"})
    for preset in presets:
        subscribe(api, amplitude, preset["name"], preset["actionId"], preset["trigger"], preset["fields"])
    map_user = next(a for a in catalog["actions"] if a["slug"] == "mapUser")
    subscribe(api, amplitude, "Map User", map_user["id"], 'type = "alias"', field_defaults(map_user))

    slack_catalog = api.request("GET", f"/catalog/destinations/{SLACK}")["data"]["destinationMetadata"]
    post = next(a for a in slack_catalog["actions"] if a["slug"] == "postToChannel")
    slack = create_destination(api, source_id, SLACK, "e2e Slack", {})
    subscribe(api, slack, "Orders to Slack", post["id"], 'type = "track" and event = "Order Completed"', {
        "url": f"https://hooks.slack.com{SLACK_PATH}", "text": {"@template": "Order {{properties.order_id}} placed"}})
    # A Webhooks (Actions) copy of the track, page and screen events, for their timestamps as Sluice keeps them.
    api.create_webhook(source_id, standin.base + "/hook", secrets.token_hex(8), 'type = "track" or type = "page" or type = "screen"')
    listed = api.request("GET", f"/destinations/{amplitude}/subscriptions?pagination.count=50")["data"]["subscriptions"]
    report.expect("Amplitude subscriptions listed, all enabled", len(presets) + 1, sum(bool(s.get("enabled")) for s in listed))

    # Phase 1: one event of each kind, all answered 200.
    start = datetime.now(timezone.utc)
    start = start.replace(microsecond=start.microsecond // 1000 * 1000)
    moments = [start + timedelta(milliseconds=17 * i) for i in range(5)]
    ids = [f"e2e-integrations-{secrets.token_hex(6)}-{i}" for i in range(5)]

    def first_calls(a):
        a.track(user_id=USER, event="Song Played", properties=json.loads(json.dumps(SONG)), timestamp=moments[0], message_id=ids[0])
        a.track(user_id=USER, event="Order Completed", properties=json.loads(json.dumps(ORDER)), timestamp=moments[1], message_id=ids[1])
        a.identify(user_id=USER, traits=dict(TRAITS), timestamp=moments[2], message_id=ids[2])
        a.page(user_id=USER, name=PAGE_NAME, properties={"path": "/"}, timestamp=moments[3], message_id=ids[3])
        a.screen(user_id=USER, name=SCREEN_NAME, properties={"step": 2}, timestamp=moments[4], message_id=ids[4])

    began = time.monotonic()
    errors = send(write_key, api.base_url, first_calls)
    expected_first = 10  # Amplitude: track, purchase, identify, page, screen; Slack: the order; the Webhooks copy: 4
    settled = wait_until(lambda: len(standin.snapshot()) >= expected_first and quiet(api), SETTLE)
    time.sleep(0.5)  # anything more would be a finding
    report.expect("library errors (on_error)", 0, len(errors))
    report.expect(f"first events delivered within {SETTLE:.0f} s", "yes", "yes" if settled else "no")
    report.info("seconds to deliver the first events", f"{time.monotonic() - began:.1f}")
    first = standin.snapshot()
    report.expect("requests received (5 Amplitude, 1 Slack, 4 Webhooks copies)",
                  "/2/httpapi x4, /hook x4, /identify x1, " + SLACK_PATH + " x1",
                  ", ".join(f"{p} x{sum(h.path == p for h in first)}" for p in sorted({h.path for h in first})))

    times = stored_times(first)
    report.expect("timestamps sent = originalTimestamp kept", [epoch_ms(m) for i, m in enumerate(moments) if i != 2],
                  [times.get(mid, (None, None))[1] for i, mid in enumerate(ids) if i != 2])
    report.info("clock-skew correction of the timestamps (ms)", [t - o for t, o in times.values()])
    song = check_logged_event(report, "Song Played", first, "Song Played", times.get(ids[0], (None,))[0], SONG)
    report.expect("Song Played: no price/revenue keys in the event", "none",
                  sorted(k for k in ("price", "revenue") if k in song) or "none")

    order = amplitude_events(first, "Order Completed")
    if report.expect("Order Completed: requests to /2/httpapi (logPurchase)", 1, len(order)):
        body = order[0].json()
        events = body["events"]
        report.expect("Order Completed: api_key, Content-Type", f"{API_KEY} application/json", f"{body.get('api_key')} {order[0].media_type}")
        report.expect("Order Completed: event_types", ["Order Completed", "Product Purchased", "Product Purchased"],
                      [e.get("event_type") for e in events])
        report.expect("Order Completed: revenue of the main event", ORDER["revenue"], events[0].get("revenue"))
        report.expect("Order Completed: time, user_id of every event", [(times.get(ids[1], (None,))[0], USER)] * len(events),
                      [(e.get("time"), e.get("user_id")) for e in events])

    identified = [h for h in first if h.path == "/identify"]
    if report.expect("identify: requests to /identify", 1, len(identified)):
        hit, form = identified[0], identified[0].form()
        ident = identification(hit)
        report.expect("identify: method, Content-Type", "POST application/x-www-form-urlencoded", f"{hit.method} {hit.media_type}")
        report.expect("identify: form api_key", API_KEY, form.get("api_key"))
        report.expect("identify: identification user_id", USER, ident.get("user_id"))
        props = ident.get("user_properties") if isinstance(ident.get("user_properties"), dict) else {}
        report.expect("identify: user_properties hold the traits", TRAITS, {k: props.get(k) for k in TRAITS})
        report.info("identify: form fields", sorted(form))

    check_logged_event(report, "page", first, f"Viewed {PAGE_NAME}", times.get(ids[3], (None,))[0], None)
    check_logged_event(report, "screen", first, f"Viewed {SCREEN_NAME}", times.get(ids[4], (None,))[0], None)

    posted = [h for h in first if h.path == SLACK_PATH]
    if report.expect(f"Slack: requests to {SLACK_PATH}", 1, len(posted)):
        body = posted[0].json() or {}
        report.expect("Slack: method, Content-Type", "POST application/json", f"{posted[0].method} {posted[0].media_type}")
        report.expect("Slack: text, username", (f"Order {ORDER['order_id']} placed", "Segment"), (body.get("text"), body.get("username")))

    # Phase 2: a 429 with Retry-After: 1 once on /identify (retried), a 400 on /usermap (discarded).
    standin.answer("/identify", 429, {"Retry-After": "1"}, once=True)
    mark = len(standin.snapshot())

    def second_calls(a):
        a.identify(user_id=USER, traits=dict(TRAITS_AGAIN))
        a.alias(previous_id="anon-e2e-integrations", user_id=USER)

    errors = send(write_key, api.base_url, second_calls)
    settled = wait_until(lambda: len(standin.on("/identify", mark)) >= 2 and standin.on("/usermap", mark) and quiet(api), SETTLE)
    time.sleep(GRACE)
    report.expect("library errors (on_error), retry and discard", 0, len(errors))
    report.expect(f"retry and discard settled within {SETTLE:.0f} s", "yes", "yes" if settled else "no")
    again = standin.on("/identify", mark)
    report.expect("retry: /identify answers", [429, 200], [h.status for h in again])
    if len(again) >= 2:
        gap = again[1].at - again[0].at
        report.expect("retry: second attempt after Retry-After: 1", ">= 1.0 s", f"{gap:.2f} s", gap >= 1.0)
        report.expect("retry: the same body both times", "yes", "yes" if again[0].body == again[1].body else "no")
        props = identification(again[1]).get("user_properties") or {}
        report.expect("retry: user_properties hold the new traits", TRAITS_AGAIN, {k: props.get(k) for k in TRAITS_AGAIN})
    mapped = standin.on("/usermap", mark)
    report.expect("discard: /usermap attempts (answered 400)", 1, len(mapped))
    if mapped:
        report.expect("discard: method, Content-Type, api_key", f"POST application/x-www-form-urlencoded {API_KEY}",
                      f"{mapped[0].method} {mapped[0].media_type} {mapped[0].form().get('api_key')}")
    others = [h.path for h in standin.snapshot()[mark:] if h.path not in ("/identify", "/usermap")]
    report.expect("other requests during retry and discard", "none", others or "none")

    # Delivery metrics against what the stand-in answered; keys never in the log.
    hits = standin.snapshot()
    to_amplitude = [h for h in hits if h.path in AMPLITUDE_PATHS]
    m = api.delivery_metrics(amplitude, source_id)
    counted = {name: m.get(name) for name in ("successes", "retried", "discarded", "expired", "successes_after_retry")}
    report.expect("Amplitude delivery-metrics = stand-in answers (2xx, 429, 400, -, after a 429)", {
        "successes": sum(200 <= h.status < 300 for h in to_amplitude), "retried": sum(h.status == 429 for h in to_amplitude),
        "discarded": sum(h.status == 400 for h in to_amplitude), "expired": 0, "successes_after_retry": 1}, counted)
    s = api.delivery_metrics(slack, source_id)
    report.expect("Slack delivery-metrics successes = stand-in 2xx", sum(h.path == SLACK_PATH and h.status == 200 for h in hits),
                  s.get("successes"))

    exited = server.stop(STOP_TIMEOUT)
    report.warn(f"exits on SIGTERM within {STOP_TIMEOUT:.0f} s", "yes", "yes" if exited else "no (killed)", exited)
    with open(server.log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    report.info("server log lines (debug)", len(text.splitlines()))
    for name, value in (("apiKey", API_KEY), ("secretKey", SECRET_KEY)):
        report.expect(f"Amplitude {name} in the server log", 0, text.count(value))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="the sluice binary (default $SLUICE_BIN, else the debug build)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server log, store) even on success")
    args = parser.parse_args()
    run = Run(args)
    return run_checks("e2e_integrations", {"integrations": lambda: check_integrations(run)}, "integrations",
                      run.servers, run.cleanup)


if __name__ == "__main__":
    sys.exit(main())
