#!/usr/bin/env python3
"""End-to-end check of the Amplitude, Slack, Mixpanel, Braze and Customer.io (Actions) and Google Analytics 4 Cloud
integrations against a real `sluice serve`.

    scripts/e2e_integrations.py [--bin PATH] [--keep]

A stand-in HTTP server on 127.0.0.1 takes the place of the vendors: Sluice runs with
`--endpoint-override` for api2.amplitude.com, api.amplitude.com, hooks.slack.com, api.mixpanel.com,
www.google-analytics.com, rest.iad-01.braze.com and track.customer.io, so nothing leaves the machine. The stand-in keeps every request whole (method, path, query, headers, body) and
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
    429s, discarded = the 400s; the Slack one: 1 success.

Then, on a second source (with its own Webhooks copy, for the kept timestamps): Mixpanel (Actions) and Braze
Cloud Mode (Actions) with every cloud preset (`POST /destinations/{id}/subscriptions/presets`, body {}),
Customer.io (Actions) with its presets of the actions Sluice implements (named), Google Analytics 4 Cloud
(no presets) with customEvent (type = "track") and pageView (type = "page") subscriptions of the catalog's
field defaults. Two tracks ("Song Played", "Song Skipped"), an identify (with an anonymous id) and a page
(context.page url and title) are sent, and checked as received, whatever the batching:

  - Mixpanel: POST /import?strict=1, JSON array, Authorization Basic base64(apiSecret:), events
    "Song Played", "Song Skipped", "Viewed Home" with distinct_id, $insert_id = the messageId, time (ms)
    and the properties; identify: form posts /track ($identify, $identified_id, $anon_id, token) then
    /engage ($token, $distinct_id, $set with $email);
  - GA4: POST /mp/collect?api_secret=…&measurement_id=…, JSON, no Authorization, one event each:
    Song_Played, Song_Skipped, page_view (page_location, page_title), client_id = the user id,
    timestamp_micros as an integer (its JSON text);
  - Braze: POST /users/track, Authorization Bearer <api_key>, X-Braze-Batch: true exactly when a request
    carries several objects; events[].name, external_id, app_id, properties; attributes of the identify;
  - Customer.io: POST /api/v2/batch (batching on in the presets), Authorization Basic base64(siteId:apiKey);
    entities type "person", action event/identify/page, identifiers {"id": user}, id, timestamp (Unix s);
  - each destination's delivery-metrics: successes = the events the stand-in got (a batch counts each of
    its events; Mixpanel's identify is one event in two requests), nothing retried, discarded or expired.

No secret (the keys, API secrets, Customer.io's site id, the Basic credentials) appears in Sluice's log.

The server runs on a throw-away SQLite file (--bin, else $SLUICE_BIN, else the debug build), at log
level debug so that the log check sees as much as Sluice ever writes. Exits 1 when a check fails,
2 on bad usage. Needs the packages of scripts/requirements-ci.txt (scripts/setup-python: .venv-ci).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.run import ScriptRun  # noqa: E402
from e2e_lib.sluice import APIError, PublicAPI, configure_analytics, metric, wait_until  # noqa: E402

AMPLITUDE = "5f7dd6d21ad74f3842b1fc47"
SLACK = "5f7dd8e302173ff732db5cc4"
API_KEY = "amp-key-123"
SECRET_KEY = "amp-secret"
MIXPANEL = "615c7438d93d9b61b1e9e192"
GA4 = "60ad61f9ff47a16b8fb7b5d9"
BRAZE = "60f9d0d048950c356be2e4da"
CUSTOMERIO = "5f7dd78fe27ce7ff2b8bfa37"
MP_TOKEN, MP_SECRET = "mp-token-e2e-5e1f0b", "mp-secret-e2e-9a7c44"
GA4_SECRET, GA4_MEASUREMENT = "ga4-secret-e2e-3b8d21", "G-E2E0000001"
BRAZE_KEY, BRAZE_APP, BRAZE_ENDPOINT = "braze-key-e2e-71c2d9", "braze-app-e2e", "https://rest.iad-01.braze.com"
CIO_SITE, CIO_KEY = "cio-site-e2e-4d0a6f", "cio-key-e2e-c3f6e8"
OVERRIDDEN_HOSTS = ("api2.amplitude.com", "api.amplitude.com", "hooks.slack.com",
                    "api.mixpanel.com", "www.google-analytics.com", "rest.iad-01.braze.com", "track.customer.io")
MIXPANEL_PATHS = ("/import", "/track", "/engage", "/groups")
GA4_PATH = "/mp/collect"
BRAZE_PATHS = ("/users/track", "/users/identify", "/users/alias/new")
CIO_PATHS = ("/api/v2/entity", "/api/v2/batch")
# Customer.io's presets of the actions Sluice implements (its others would be discarded as unsupported actions).
CIO_PRESETS = ("Create or Update Device", "Create or Update Person", "Track Event", "Track Page View", "Track Screen View")
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
ANON = "anon-e2e-integrations"
SKIP = {"title": "Blue in Green", "after_s": 12}
PAGE_URL, PAGE_TITLE = "https://example.com/home", "Home page"


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


def create_presets(api: PublicAPI, destination_id: str, names: tuple[str, ...] | None = None) -> list[dict]:
    """`POST /destinations/{id}/subscriptions/presets` (a v1alpha operation): the catalog's presets named, or every
    cloud-action one, as subscriptions; returns them."""
    body = json.dumps({} if names is None else {"presets": list(names)}).encode()
    req = urllib.request.Request(f"{api.base_url}/destinations/{destination_id}/subscriptions/presets", data=body, method="POST")
    req.add_header("Authorization", f"Bearer {api.token}")
    req.add_header("Accept", "application/vnd.segment.v1alpha+json")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read())["data"]["subscriptions"]
    except urllib.error.HTTPError as error:
        raise APIError("POST", req.full_url, error.code, error.read().decode(errors="replace")) from None


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def form_data(hit: Seen) -> dict:
    """Mixpanel's form posts: the JSON object in the `data` field ({} when not there)."""
    try:
        value = json.loads(hit.form().get("data", ""))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def body_list(hit: Seen, key: str | None) -> list:
    """The JSON body (key None) or its member `key` when it is a list, else []."""
    body = hit.json()
    value = body if key is None else body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, list) else []


def raw_member(hit: Seen | None, key: str) -> str | None:
    """The JSON text of a top-level member `key` of the body as sent (a number's digits as written), or None."""
    match = re.search(rb'"' + re.escape(key.encode()) + rb'":(-?[0-9][0-9.eE+-]*|null|"[^"]*")', hit.body) if hit else None
    return match.group(1).decode() if match else None


def mixpanel_events(hits: list[Seen]) -> list[dict]:
    """What Mixpanel got, one entry an event: each element of an /import array, and each /engage or /groups post
    (an identify's /track $identify post goes with its /engage one, so it is not counted)."""
    out = []
    for h in hits:
        if h.path == "/import":
            out += [e if isinstance(e, dict) else {} for e in body_list(h, None)]
        elif h.path in ("/engage", "/groups"):
            out.append(form_data(h))
    return out


def braze_objects(hits: list[Seen]) -> list[dict]:
    """The events, attributes and purchases of Braze's /users/track requests, and the /users/identify and
    /users/alias/new requests, one entry each."""
    out = []
    for h in hits:
        if h.path == "/users/track":
            for key in ("events", "attributes", "purchases"):
                out += [o if isinstance(o, dict) else {} for o in body_list(h, key)]
        elif h.path in ("/users/identify", "/users/alias/new"):
            out.append(h.json() or {})
    return out


def cio_entities(hits: list[Seen]) -> list[dict]:
    """Customer.io's entities: each of a /api/v2/batch request's `batch`, and each /api/v2/entity body."""
    out = []
    for h in hits:
        if h.path == "/api/v2/batch":
            out += [e if isinstance(e, dict) else {} for e in body_list(h, "batch")]
        elif h.path == "/api/v2/entity":
            out.append(h.json() or {})
    return out


def by_path(hits: list[Seen]) -> str:
    return ", ".join(f"{p} x{sum(h.path == p for h in hits)}" for p in sorted({h.path for h in hits})) or "none"


def check_more_integrations(report: Report, api: PublicAPI, standin: StandIn) -> dict[str, str]:
    """Phase 3, on a source of its own: Mixpanel (Actions), Braze Cloud Mode (Actions) and Customer.io (Actions) with
    their catalog presets, Google Analytics 4 Cloud with customEvent and pageView subscriptions (it has no presets);
    two tracks, an identify and a page sent; each vendor's requests and delivery-metrics checked. Returns the
    destination ids by name."""
    source_id, write_key = api.create_source(f"e2e-integrations-more-{secrets.token_hex(4)}")
    ids_of: dict[str, str] = {}

    ids_of["Mixpanel"] = create_destination(api, source_id, MIXPANEL, "e2e Mixpanel",
                                            {"projectToken": MP_TOKEN, "apiSecret": MP_SECRET, "apiRegion": "US 🇺🇸"})
    made = create_presets(api, ids_of["Mixpanel"])
    report.expect("Mixpanel: subscriptions from presets ({}: every cloud one)",
                  "Group Calls, Identify Calls, Order Completed Calls, Page Calls, Screen Calls, Track Calls",
                  ", ".join(sorted(str(s.get("name")) for s in made)))

    ids_of["GA4"] = create_destination(api, source_id, GA4, "e2e GA4", {"apiSecret": GA4_SECRET, "measurementId": GA4_MEASUREMENT})
    ga4_catalog = api.request("GET", f"/catalog/destinations/{GA4}")["data"]["destinationMetadata"]
    report.expect("GA4: presets in the catalog", 0, len(ga4_catalog.get("presets") or []))
    for slug, trigger in (("customEvent", 'type = "track"'), ("pageView", 'type = "page"')):
        action = next(a for a in ga4_catalog["actions"] if a["slug"] == slug)
        subscribe(api, ids_of["GA4"], f"GA4 {slug}", action["id"], trigger, field_defaults(action))

    ids_of["Braze"] = create_destination(api, source_id, BRAZE, "e2e Braze",
                                         {"api_key": BRAZE_KEY, "app_id": BRAZE_APP, "endpoint": BRAZE_ENDPOINT})
    made = create_presets(api, ids_of["Braze"])
    report.expect("Braze: subscriptions from presets ({}: every cloud one)", "Identify Calls, Order Completed Calls, Track Calls",
                  ", ".join(sorted(str(s.get("name")) for s in made)))

    ids_of["Customer.io"] = create_destination(api, source_id, CUSTOMERIO, "e2e Customer.io",
                                               {"siteId": CIO_SITE, "apiKey": CIO_KEY, "accountRegion": "US 🇺🇸"})
    made = create_presets(api, ids_of["Customer.io"], CIO_PRESETS)
    report.expect("Customer.io: subscriptions from the named presets", ", ".join(CIO_PRESETS),
                  ", ".join(sorted(str(s.get("name")) for s in made)))
    # A Webhooks (Actions) copy, for the timestamps as Sluice keeps them (corrected for the client's clock skew).
    api.create_webhook(source_id, standin.base + "/hook", secrets.token_hex(8), 'type = "track" or type = "page" or type = "identify"')

    start = datetime.now(timezone.utc)
    start = start.replace(microsecond=start.microsecond // 1000 * 1000)
    moments = [start + timedelta(milliseconds=17 * i) for i in range(4)]
    sent_ms = [epoch_ms(m) for m in moments]
    ids = [f"e2e-integrations-more-{secrets.token_hex(6)}-{i}" for i in range(4)]

    def calls(a):
        a.track(user_id=USER, event="Song Played", properties=json.loads(json.dumps(SONG)), timestamp=moments[0], message_id=ids[0])
        a.track(user_id=USER, event="Song Skipped", properties=dict(SKIP), timestamp=moments[1], message_id=ids[1])
        a.identify(user_id=USER, anonymous_id=ANON, traits=dict(TRAITS), timestamp=moments[2], message_id=ids[2])
        a.page(user_id=USER, name=PAGE_NAME, properties={"url": PAGE_URL, "path": "/home"},
               context={"page": {"url": PAGE_URL, "title": PAGE_TITLE}}, timestamp=moments[3], message_id=ids[3])

    def counts(hits: list[Seen]) -> dict[str, int]:
        """Events (not requests: batches carry several) each vendor got."""
        return {"Mixpanel": len(mixpanel_events(hits)), "GA4": sum(h.path == GA4_PATH for h in hits),
                "Braze": len(braze_objects(hits)), "Customer.io": len(cio_entities(hits))}

    # Mixpanel: 2 tracks and the page (/import), the identify (/track $identify, then /engage); GA4: 2 customEvent,
    # 1 pageView; Braze: 2 trackEvent, 1 updateUserProfile; Customer.io: 2 events, 1 identify, 1 page.
    expected = {"Mixpanel": 4, "GA4": 3, "Braze": 3, "Customer.io": 4}
    mark = len(standin.snapshot())
    began = time.monotonic()
    errors = send(write_key, api.base_url, calls)
    settled = wait_until(lambda: all(n >= expected[k] for k, n in counts(standin.snapshot()[mark:]).items())
                         and len(standin.on("/hook", mark)) >= len(ids) and quiet(api), SETTLE)
    time.sleep(0.5)  # anything more would be a finding
    hits = standin.snapshot()[mark:]
    report.expect("more integrations: library errors (on_error)", 0, len(errors))
    report.expect(f"more integrations: delivered within {SETTLE:.0f} s", "yes", "yes" if settled else "no")
    report.info("more integrations: seconds to deliver", f"{time.monotonic() - began:.1f}")
    report.info("more integrations: requests received", by_path(hits))
    got = counts(hits)
    report.expect("more integrations: events received, by vendor", expected, got)
    known = set(MIXPANEL_PATHS + (GA4_PATH,) + BRAZE_PATHS + CIO_PATHS)
    report.expect("more integrations: requests to other paths (but the Webhooks copies)", "none",
                  [h.path for h in hits if h.path not in known | {"/hook"}] or "none")
    times = stored_times(hits)
    report.expect("more integrations: timestamps sent = originalTimestamp kept", sent_ms,
                  [times.get(mid, (None, None))[1] for mid in ids])
    ts = [times.get(mid, (None,))[0] for mid in ids]  # epoch ms, as Sluice keeps them

    # Mixpanel.
    imports = [h for h in hits if h.path == "/import"]
    report.expect("Mixpanel /import: method, query, Authorization, Content-Type (every request)",
                  [("POST", "strict=1", basic(MP_SECRET, ""), "application/json")] * len(imports),
                  [(h.method, h.query, h.headers.get("authorization"), h.media_type) for h in imports])
    events = {e.get("event"): e for e in mixpanel_events(imports)}
    report.expect("Mixpanel /import: event names", ["Song Played", "Song Skipped", f"Viewed {PAGE_NAME}"], sorted(map(str, events)))
    for name, index, props in (("Song Played", 0, SONG), ("Song Skipped", 1, SKIP), (f"Viewed {PAGE_NAME}", 3, None)):
        p = events.get(name, {}).get("properties")
        p = p if isinstance(p, dict) else {}
        report.expect(f"Mixpanel {name}: distinct_id, $insert_id (the messageId)", (USER, ids[index]), (p.get("distinct_id"), p.get("$insert_id")))
        report.expect(f"Mixpanel {name}: time (epoch ms of the timestamp)", ts[index], p.get("time"))
        if props is not None:
            report.expect(f"Mixpanel {name}: properties as sent", props, {k: p.get(k) for k in props})
    tracked = [h for h in hits if h.path == "/track"]
    engaged = [h for h in hits if h.path == "/engage"]
    if report.expect("Mixpanel identify: requests to /track, /engage", (1, 1), (len(tracked), len(engaged))):
        t, e = tracked[0], engaged[0]
        report.expect("Mixpanel identify: method, Content-Type of both", ["POST application/x-www-form-urlencoded"] * 2,
                      [f"{h.method} {h.media_type}" for h in (t, e)])
        report.expect("Mixpanel identify: /track before /engage", "yes", "yes" if t.at <= e.at else "no")
        td = form_data(t)
        tp = td.get("properties") if isinstance(td.get("properties"), dict) else {}
        report.expect("Mixpanel /track: event, $identified_id, $anon_id, token", ("$identify", USER, ANON, MP_TOKEN),
                      (td.get("event"), tp.get("$identified_id"), tp.get("$anon_id"), tp.get("token")))
        ed = form_data(e)
        es = ed.get("$set") if isinstance(ed.get("$set"), dict) else {}
        report.expect("Mixpanel /engage: $token, $distinct_id", (MP_TOKEN, USER), (ed.get("$token"), ed.get("$distinct_id")))
        report.expect("Mixpanel /engage: $set ($email renamed)", {"$email": TRAITS["email"], "plan": TRAITS["plan"], "logins": TRAITS["logins"]},
                      {k: es.get(k) for k in ("$email", "plan", "logins")})
        report.info("Mixpanel /track, /engage: Authorization", [h.headers.get("authorization") for h in (t, e)])

    # Google Analytics 4.
    collected = [h for h in hits if h.path == GA4_PATH]
    report.expect("GA4: method, query (api_secret, measurement_id), Authorization, Content-Type (every request)",
                  [("POST", f"api_secret={GA4_SECRET}&measurement_id={GA4_MEASUREMENT}", None, "application/json")] * len(collected),
                  [(h.method, h.query, h.headers.get("authorization"), h.media_type) for h in collected])
    bodies = [h.json() if isinstance(h.json(), dict) else {} for h in collected]
    report.expect("GA4: events in each request", [1] * len(bodies), [len(b.get("events") or []) for b in bodies])
    by_name, hits_by_name = {}, {}
    for h, b in zip(collected, bodies):
        first = (b.get("events") or [{}])[0]
        key = first.get("name") if isinstance(first, dict) else None
        by_name[key], hits_by_name[key] = b, h
    report.expect("GA4: events[0].name (customEvent: spaces as _)", ["Song_Played", "Song_Skipped", "page_view"], sorted(map(str, by_name)))
    for name, index in (("Song_Played", 0), ("Song_Skipped", 1), ("page_view", 3)):
        b = by_name.get(name, {})
        report.expect(f"GA4 {name}: client_id", USER, b.get("client_id"))
        # As the JSON text: GA4 takes an integer, and Segment (JavaScript) writes whole numbers below 1e21 without a fraction.
        report.expect(f"GA4 {name}: timestamp_micros (JSON text)", str(ts[index] * 1000) if ts[index] is not None else None,
                      raw_member(hits_by_name.get(name), "timestamp_micros"))
    page = by_name.get("page_view", {})
    params = ((page.get("events") or [{}])[0] or {}).get("params") or {}
    report.expect("GA4 page_view: params page_location, page_title", (PAGE_URL, PAGE_TITLE), (params.get("page_location"), params.get("page_title")))

    # Braze.
    tracks = [h for h in hits if h.path in BRAZE_PATHS]
    report.expect("Braze: paths", ["/users/track"] * len(tracks), [h.path for h in tracks])
    report.expect("Braze: method, Authorization, Content-Type, X-Braze-Batch (true with more than one object)",
                  [("POST", f"Bearer {BRAZE_KEY}", "application/json", "true" if len(braze_objects([h])) > 1 else None) for h in tracks],
                  [(h.method, h.headers.get("authorization"), h.media_type, h.headers.get("x-braze-batch")) for h in tracks])
    report.info("Braze: objects in each /users/track request", [len(braze_objects([h])) for h in tracks])
    braze_events = {e.get("name"): e for h in tracks for e in body_list(h, "events") if isinstance(e, dict)}
    report.expect("Braze: events[].name", ["Song Played", "Song Skipped"], sorted(map(str, braze_events)))
    for name, props in (("Song Played", SONG), ("Song Skipped", SKIP)):
        e = braze_events.get(name, {})
        report.expect(f"Braze {name}: external_id, app_id, properties", (USER, BRAZE_APP, props),
                      (e.get("external_id"), e.get("app_id"), e.get("properties")))
    attributes = [a for h in tracks for a in body_list(h, "attributes") if isinstance(a, dict)]
    if report.expect("Braze identify: attributes objects", 1, len(attributes)):
        a = attributes[0]
        report.expect("Braze identify: external_id, email, custom attributes", (USER, TRAITS["email"], TRAITS["plan"], TRAITS["logins"]),
                      (a.get("external_id"), a.get("email"), a.get("plan"), a.get("logins")))

    # Customer.io.
    posts = [h for h in hits if h.path in CIO_PATHS]
    report.expect("Customer.io: method, path (batching on), Authorization, Content-Type (every request)",
                  [("POST", "/api/v2/batch", basic(CIO_SITE, CIO_KEY), "application/json")] * len(posts),
                  [(h.method, h.path, h.headers.get("authorization"), h.media_type) for h in posts])
    entities = cio_entities(posts)
    report.expect("Customer.io: entities (type, action, name)",
                  [("person", "event", "Song Played"), ("person", "event", "Song Skipped"), ("person", "identify", None), ("person", "page", PAGE_URL)],
                  sorted(((e.get("type"), e.get("action"), e.get("name")) for e in entities), key=str))
    for e in entities:
        report.expect(f"Customer.io {' '.join(str(x) for x in (e.get('action'), e.get('name')) if x)}: identifiers", {"id": USER},
                      e.get("identifiers"))
    events = {e.get("name"): e for e in entities if e.get("action") == "event"}
    for name, index, props in (("Song Played", 0, SONG), ("Song Skipped", 1, SKIP)):
        e = events.get(name, {})
        attrs = e.get("attributes") if isinstance(e.get("attributes"), dict) else {}
        report.expect(f"Customer.io {name}: id (the messageId), attributes as sent", (ids[index], props),
                      (e.get("id"), {k: attrs.get(k) for k in props}))
        report.expect(f"Customer.io {name}: timestamp (Unix seconds)", ts[index] // 1000 if ts[index] is not None else None, e.get("timestamp"))
    person = next((e for e in entities if e.get("action") == "identify"), {})
    attrs = person.get("attributes") if isinstance(person.get("attributes"), dict) else {}
    report.expect("Customer.io identify: attributes (the traits, anonymous_id)", {**TRAITS, "anonymous_id": ANON},
                  {k: attrs.get(k) for k in (*TRAITS, "anonymous_id")})

    # Delivery metrics: one success an event the vendor got (a batch counts its events).
    for name, destination in ids_of.items():
        m = api.delivery_metrics(destination, source_id)
        report.expect(f"{name} delivery-metrics = events the stand-in got (all 2xx)",
                      {"successes": got[name], "retried": 0, "discarded": 0, "expired": 0},
                      {k: m.get(k) for k in ("successes", "retried", "discarded", "expired")})
    return ids_of


def check_integrations(run: Run) -> Report:
    report = Report("Amplitude, Slack, Mixpanel, GA4, Braze and Customer.io through --endpoint-override")
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

    # Phase 3: Mixpanel, Google Analytics 4, Braze and Customer.io, on a source of their own.
    check_more_integrations(report, api, standin)

    server.stop_and_report(report, STOP_TIMEOUT)
    with open(server.log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    report.info("server log lines (debug)", len(text.splitlines()))
    for name, value in (("Amplitude apiKey", API_KEY), ("Amplitude secretKey", SECRET_KEY), ("Mixpanel apiSecret", MP_SECRET),
                        ("Mixpanel Basic credential", basic(MP_SECRET, "").split()[1]), ("GA4 apiSecret", GA4_SECRET),
                        ("Braze api_key", BRAZE_KEY), ("Customer.io siteId", CIO_SITE), ("Customer.io apiKey", CIO_KEY),
                        ("Customer.io Basic credential", basic(CIO_SITE, CIO_KEY).split()[1])):
        report.expect(f"{name} in the server log", 0, text.count(value))
    report.info("Mixpanel projectToken (not a secret: sent in bodies) in the server log", text.count(MP_TOKEN))
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
