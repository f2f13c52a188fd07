#!/usr/bin/env python3
"""The console's operations pages in headless Chromium (issue 18): subscriptions, filters, delivery.

    scripts/e2e_console_ops.py [--check NAME|all] [--bin PATH] [--shots DIR] [--keep]

scripts/e2e_console.py imports this module and runs its CHECKS after its own (same server, browser and tokens);
run alone, this script does the same through e2e_console's runner, offering only these checks. Each check makes
what it needs through the API (a source, a Webhooks (Actions) destination pointing at a local receiver whose
answer depends on the event's `properties.fate`, scripts/e2e_lib/receiver.py):

  subscription-preset  Mixpanel (Actions): "Add the catalog presets" creates the presets' subscriptions (checked
                       through the API); a preset's trigger checked against the sample event: "matches", then
                       "does not match" for another sample, then the parser's message for a broken trigger; a
                       field's mapping preview resolves on the sample. Webhooks: a new subscription whose Method
                       the server refuses shows the message at the Method field, then saves (API); a sample taken
                       from the event log is the delivered body.
  delivery-moves       events sent with the write key (Tracking API) make the stage totals, the Delivered chart and
                       the event log move without a click (auto-refresh); a log row expands to the request and
                       the answer; the period selector redraws the charts per hour.
  replay               events the receiver refuses once (fate reject-once) are listed as failed events; "Replay
                       selected" and "Replay all" send them again and the receiver gets each with a 200; Pause and
                       Resume change the state (checked through the API), a held event arrives after Resume; a
                       rate limit of 0 is refused at its field, 25 is set (API, badge) and then removed.
  filters              a filter created in the page (its preview: dropped, kept, a parse error at the If field)
                       is stored (API); its switch disables it; Delete removes it.
  readonly-ops         with the read-only token the three pages offer no create, edit, delete, switch, replay or
                       pause, while the trigger check and the filter preview still work.

Every check also requires a clean browser console, except the 422s it provoked on purpose.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report  # noqa: E402
from e2e_lib.browser import wait_until  # noqa: E402
from e2e_lib.sluice import SOURCE_METADATA, WEBHOOKS_ACTIONS, WEBHOOKS_SEND_ACTION  # noqa: E402

MIXPANEL_ACTIONS = "615c7438d93d9b61b1e9e192"


# ---------------------------------------------------------------------------------------------------------------
# Helpers (this module's own, so that it does not depend on e2e_console's internals).

def _failed_request(message: str, path_pattern: str, status: int) -> bool:
    """Whether a console line is Chromium's "Failed to load resource" for a URL whose path ends matching
    `path_pattern` (a regex), answered `status`."""
    match = re.match(r"^(\S+) - Failed to load resource: the server responded with a status of (\d+)", message)
    if not match or int(match.group(2)) != status:
        return False
    return re.search(path_pattern + r"$", urllib.parse.urlparse(match.group(1)).path) is not None


def _clean_console(report: Report, ctx, allowed: tuple[tuple[str, int], ...] = ()) -> None:
    errors = ctx.browser.errors()
    unexpected = [m for m in errors if not any(_failed_request(m, p, s) for p, s in allowed)]
    report.expect("no console errors or warnings", [], unexpected)
    if len(errors) > len(unexpected):
        report.info("expected failed requests in the console", len(errors) - len(unexpected))


def _settled(ctx, timeout: float = 15.0) -> None:
    """Waits until the page under way has rendered (a heading, no "Loading…")."""
    ctx.browser.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "main h1") and not d.find_elements(By.CSS_SELECTOR, "main p.loading"), timeout)


def _sign_in(ctx, token: str) -> None:
    """Signs in afresh with `token`, and waits for the first page (so that it cannot land over the next one)."""
    ctx.browser.open()
    _settled(ctx)  # the page of the session before, whose requests must not go out after the token is gone
    ctx.browser.driver.execute_script("sessionStorage.clear()")
    ctx.browser.sign_in(token)
    _settled(ctx)


def _page(ctx, path: str, css: str, timeout: float = 15.0):
    """Goes to `#path` and waits for `css` inside main."""
    ctx.browser.go(path)
    _settled(ctx, timeout)
    return ctx.browser.find(css, timeout)


def _set_value(ctx, control, text: str) -> None:
    """Replaces a control's text the way typing would end (one input event)."""
    ctx.browser.driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", control, text)


def _type(control, text: str) -> None:
    control.clear()
    control.send_keys(text)


def _state(ctx, css: str, states: tuple[str, ...], timeout: float = 10.0, containing: str = "") -> tuple[str, str]:
    """Waits until the element's data-state is one of `states` and its text holds `containing`; answers (state, text)
    (the last seen on timeout). `containing` tells the answer for the text typed last from one for text on its way
    there (typing slower than the page's debounce checks the text typed so far)."""
    seen = ["", ""]

    def done(d):
        els = d.find_elements(By.CSS_SELECTOR, css)
        if not els:
            return False
        seen[0], seen[1] = els[0].get_attribute("data-state") or "", els[0].text
        return seen[0] in states and containing in seen[1]

    try:
        ctx.browser.wait(done, timeout)
    except Exception:
        pass
    return seen[0], seen[1]


def _field_error_now(ctx, label: str) -> str:
    """The error shown under the control labelled `label` now ('' for none)."""
    control = ctx.browser.by_label(label)
    box = ctx.browser.driver.find_element(By.ID, f"{control.get_attribute('id')}-error")
    return box.text.strip() if box.is_displayed() else ""


def _field_error(ctx, label: str, timeout: float = 10.0) -> str:
    """The error shown under the control labelled `label`, once there is one ('' if none within `timeout`)."""
    try:
        return ctx.browser.wait(lambda d: _field_error_now(ctx, label) or False, timeout)
    except Exception:
        return ""


def _notice(ctx, text: str, timeout: float = 10.0) -> bool:
    return ctx.browser.text_appears(text, "#notice", timeout)


def _source(ctx, label: str) -> tuple[str, str]:
    """A new source: (id, write key)."""
    slug = f"e2e-ops-{label}-{secrets.token_hex(3)}"
    s = ctx.api.request("POST", "/sources", {"slug": slug, "enabled": True, "metadataId": SOURCE_METADATA})["data"]["source"]
    return s["id"], s["writeKeys"][0]


def _webhook(ctx, label: str, subscription: bool = True) -> dict:
    """A source, a Webhooks (Actions) destination on a new receiver, and (by default) its `send` subscription."""
    secret = "e2e-" + secrets.token_hex(8)
    receiver = Receiver(secret).start()
    source_id, write_key = _source(ctx, label)
    d = ctx.api.request("POST", "/destinations", {
        "sourceId": source_id, "metadataId": WEBHOOKS_ACTIONS, "enabled": True, "name": f"E2E {label}",
        "settings": {"sharedSecret": secret}})["data"]["destination"]
    sub_id = None
    if subscription:
        sub_id = ctx.api.request("POST", f"/destinations/{d['id']}/subscriptions", {
            "name": "e2e send", "actionId": WEBHOOKS_SEND_ACTION, "trigger": 'type = "track"', "enabled": True,
            "settings": {"url": receiver.url, "method": "POST", "enable_batching": False}})["data"]["destinationSubscription"]["id"]
    return {"receiver": receiver, "source": source_id, "write_key": write_key, "destination": d["id"], "subscription": sub_id}


def _send(ctx, hook: dict, fates: list[str], event: str = "E2E Clicked") -> list[str]:
    """Track events through the Tracking API (the write key), one per fate; answers their message ids."""
    ids = [f"e2e-{secrets.token_hex(6)}" for _ in fates]
    batch = [{"type": "track", "event": event, "userId": f"user-{i}", "messageId": mid, "properties": {"fate": fate}}
             for i, (mid, fate) in enumerate(zip(ids, fates))]
    status = ctx.api.post_batch(hook["write_key"], batch)
    if status != 200:
        raise RuntimeError(f"/v1/batch answered {status}")
    return ids


def _stage(ctx, step: str) -> int:
    els = ctx.browser.find_all(f"main li[data-step='{step}'] .stage-total")
    if not els:
        return -1
    try:
        return int(re.sub(r"[^\d]", "", els[0].text) or "0")
    except ValueError:
        return -1


def _narrow(ctx, report: Report, label: str, shot: str) -> None:
    """At 400 px wide the page does not overflow sideways (a screenshot as evidence); back to 1280 px after."""
    ctx.browser.resize(400, 900)
    try:
        time.sleep(0.5)
        width, inner = ctx.browser.driver.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
        report.expect(f"{label} at 400 px: no horizontal overflow", f"<= {inner + 1}", width, width <= inner + 1)
        ctx.browser.shot(shot)
    finally:
        ctx.browser.resize(1280, 900)


def _visible_buttons(ctx) -> list[str]:
    return [el.text.strip() for el in ctx.browser.find_all("main button") if el.is_displayed()]


def _writes(ctx, allowed_buttons: set[str], allowed_names: set[str]) -> list[str]:
    """Controls in main that would change something: buttons not in `allowed_buttons`, switches, and enabled,
    writable inputs whose name is not in `allowed_names`."""
    found = [f"button {t!r}" for t in _visible_buttons(ctx) if t not in allowed_buttons]
    for el in ctx.browser.find_all("main input, main select, main textarea"):
        if not el.is_displayed() or not el.is_enabled() or el.get_attribute("readonly") is not None:
            continue
        name = el.get_attribute("name") or el.get_attribute("id") or el.get_attribute("type")
        if el.get_attribute("role") == "switch" or name not in allowed_names:
            found.append(f"{el.tag_name} {name!r}")
    return found


# ---------------------------------------------------------------------------------------------------------------
# The checks.

def check_subscription_preset(ctx) -> Report:
    report = Report("subscription-preset: presets, the trigger tester, mapping previews, errors at the field")
    b = ctx.browser
    _sign_in(ctx, ctx.token)
    allowed = [(r"/sluice/triggers/check", 422), (r"/destinations/[^/]+/subscriptions", 422)]

    # Mixpanel (Actions): its catalog presets, added with one button.
    source_id, _ = _source(ctx, "presets")
    mixpanel = ctx.api.request("POST", "/destinations", {
        "sourceId": source_id, "metadataId": MIXPANEL_ACTIONS, "enabled": True, "name": "E2E Mixpanel",
        "settings": {"projectToken": "e2e-project-token", "apiSecret": "e2e-api-secret"}})["data"]["destination"]["id"]
    catalog = ctx.api.request("GET", f"/catalog/destinations/{MIXPANEL_ACTIONS}")["data"]["destinationMetadata"]
    web = {a["id"] for a in catalog["actions"] if a.get("platform") == "WEB"}
    expected = sorted(p["name"] for p in catalog["presets"] if p["actionId"] not in web)
    _page(ctx, f"/destinations/{mixpanel}/subscriptions", "main form.card")
    report.expect("no subscriptions at first", True, b.text_appears("No subscriptions yet"))
    b.shot("subscriptions-empty")
    b.button("Add the catalog presets").click()
    report.expect("notice: presets added", True, _notice(ctx, f"Added {len(expected)} subscriptions"))
    subs = ctx.api.request("GET", f"/destinations/{mixpanel}/subscriptions?pagination.count=50")["data"]["subscriptions"]
    report.expect("API: one subscription per cloud preset", expected, sorted(s["name"] for s in subs))
    by_name = {p["name"]: p for p in catalog["presets"]}
    report.expect("API: triggers are the presets'", True, all(s["trigger"] == by_name[s["name"]]["trigger"] for s in subs))
    b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "main .subs-list tbody tr")) == len(expected))
    report.expect("the list shows them", len(expected), len(b.find_all("main .subs-list tbody tr")))

    # The trigger tester on "Order Completed Calls": the default sample is an Order Completed track event.
    b.driver.find_element(By.CSS_SELECTOR, "main button[aria-label='Edit Order Completed Calls']").click()
    b.find("main form.editor")
    state, text = _state(ctx, "main .check-status", ("match", "nomatch", "error"))
    report.expect("default sample: matches", ("match", True), (state, "matches" in text), state == "match" and "matches" in text)
    report.expect("a mapping preview resolves the sample's event name", True,
                  wait_until(lambda: any('"Order Completed"' in e.text for e in b.find_all("main output.preview")), 10))
    b.shot("subscription-trigger-matches")
    _set_value(ctx, b.by_label("Sample event (JSON)"), json.dumps({"type": "track", "event": "Signed Up", "userId": "u-1"}, indent=2))
    state, text = _state(ctx, "main .check-status", ("nomatch", "error"))
    report.expect("another sample: does not match", ("nomatch", True), (state, "does not match" in text),
                  state == "nomatch" and "does not match" in text)
    trigger = b.by_label("Trigger")
    _type(trigger, 'type = "track" and event =')
    state, text = _state(ctx, "main .check-status", ("error",), containing="Expected a value")
    report.expect("broken trigger: the parser's message", ("error", True), (state, "Expected a value" in text),
                  state == "error" and "Expected a value" in text)
    report.info("parser message shown", text)
    b.shot("subscription-trigger-error")
    b.button("Close").click()

    # Webhooks: a new subscription; the server's message at the field it names; the sample from the event log.
    hook = _webhook(ctx, "subs")
    try:
        [mid] = _send(ctx, hook, ["ok"], event="Log Sample")
        wait_until(lambda: any(h.body_message_id == mid for h in hook["receiver"].snapshot()), 15)
        wait_until(lambda: ctx.api.request("GET", f"/sluice/destinations/{hook['destination']}/event-log?pagination.count=5")["data"]["attempts"], 10)
        _page(ctx, f"/destinations/{hook['destination']}/subscriptions", "main .subs-list")
        b.button("New subscription").click()
        b.find("main form.editor")
        _type(b.by_label("Name"), "E2E console subscription")
        _set_value(ctx, b.by_label("URL (url)"), json.dumps(hook["receiver"].url))
        _set_value(ctx, b.by_label("Method (method)"), '"GET"')
        _type(b.by_label("Trigger"), 'type = "track" and event = "Log Sample"')
        b.button("Create subscription").click()
        message = _field_error(ctx, "Method (method)")
        report.expect("the server's message at the Method field", True, "must be one of" in message, "must be one of" in message)
        b.shot("subscription-field-error")
        # A mapping preview that runs after the answer leaves the server's message where it is (one due from typing
        # before the click once took it away, on a machine that typed faster than the preview's debounce).
        url_input = b.by_label("URL (url)")
        url_preview = f"#{url_input.get_attribute('id')}-preview"
        _set_value(ctx, url_input, json.dumps(hook["receiver"].url + "?again=1"))
        previewed = wait_until(lambda: any("again=1" in e.text for e in b.find_all(url_preview)), 10)
        kept = _field_error_now(ctx, "Method (method)")
        report.expect("a preview after the answer leaves the server's message", (True, True), (previewed, "must be one of" in kept))
        _set_value(ctx, url_input, json.dumps(hook["receiver"].url))
        _set_value(ctx, b.by_label("Method (method)"), '"POST"')
        # A sample from the event log: for Webhooks, the delivered body itself.
        picker = Select(b.by_label("Take a recent event from the event log"))
        b.wait(lambda d: len(picker.options) > 1)
        picker.select_by_index(1)
        sample = b.by_label("Sample event (JSON)").get_attribute("value")
        report.expect("sample from the log is the delivered event", True, mid in sample and '"fate"' in sample)
        report.expect("the page says what the sample is", True, b.text_appears("request body Sluice sent"))
        state, text = _state(ctx, "main .check-status", ("match", "nomatch", "error"))
        report.expect("the logged event matches the new trigger", "match", state)
        b.shot("subscription-new")
        _narrow(ctx, report, "subscription editor", "subscription-new-narrow")
        b.button("Create subscription").click()
        report.expect("notice: created", True, _notice(ctx, "Created the subscription"))
        subs = ctx.api.request("GET", f"/destinations/{hook['destination']}/subscriptions?pagination.count=50")["data"]["subscriptions"]
        made = [s for s in subs if s["name"] == "E2E console subscription"]
        report.expect("API: the subscription exists", 1, len(made))
        if made:
            report.expect("API: its trigger and settings", ('type = "track" and event = "Log Sample"', hook["receiver"].url, "POST"),
                          (made[0]["trigger"], made[0]["settings"].get("url"), made[0]["settings"].get("method")))
        b.shot("subscriptions-list")
    finally:
        hook["receiver"].close()
    _clean_console(report, ctx, tuple(allowed))
    return report


def check_delivery_moves(ctx) -> Report:
    report = Report("delivery-moves: events sent with the write key move the stages, the chart and the log")
    b = ctx.browser
    _sign_in(ctx, ctx.token)
    hook = _webhook(ctx, "moves")
    try:
        _page(ctx, f"/destinations/{hook['destination']}/delivery", "main li[data-step='successful-delivery']")
        report.expect("delivered at first", 0, _stage(ctx, "successful-delivery"))
        report.expect("the log is empty at first", True, b.text_appears("No delivery attempts yet"))
        b.shot("delivery-empty")
        ids = _send(ctx, hook, ["ok"] * 5 + ["fail-once"])
        # No click: the page refreshes itself every 5 s.
        moved = wait_until(lambda: _stage(ctx, "successful-delivery") >= 6 and _stage(ctx, "successfully-received") >= 6, 30, 0.5)
        report.expect("stage totals moved (received, delivered)", (6, 6),
                      (_stage(ctx, "successfully-received"), _stage(ctx, "successful-delivery")), moved)
        summary = b.driver.execute_script(
            "const f = [...document.querySelectorAll('main figure.chart')].find(f => f.querySelector('.chart-title').textContent === 'Delivered');"
            "return f ? [f.querySelector('desc').textContent, f.querySelectorAll('.s-delivered rect').length] : null")
        report.expect("the Delivered chart says 6 and draws a bar", True,
                      bool(summary) and summary[0].startswith("6 events delivered") and summary[1] >= 1)
        report.info("Delivered chart", summary)
        retried = wait_until(lambda: b.driver.execute_script(
            "const f = [...document.querySelectorAll('main figure.chart')].find(f => f.querySelector('.chart-title').textContent === 'Retried');"
            "return f && f.querySelector('desc').textContent.startsWith('1 ')"), 15, 0.5)
        report.expect("the Retried chart counts the retry", True, retried)
        logged = wait_until(lambda: set(ids) <= {e.get_attribute("data-message-id") for e in b.find_all("main tbody.log-entry")}, 15, 0.5)
        report.expect("the event log lists every event", True, logged)
        report.expect("the log shows the retry (RETRYING, then DELIVERED)", True,
                      "RETRYING" in b.find("main .log-box").text and "DELIVERED" in b.find("main .log-box").text)
        latency = b.driver.execute_script("return document.querySelectorAll('main .s-latency circle').length")
        report.expect("the latency chart has a point", True, latency >= 1)
        # A row expands to the request and the answer.
        first = b.find_all("main tbody.log-entry")[0]
        first.find_element(By.CSS_SELECTOR, "button[aria-expanded]").click()
        detail = first.find_element(By.CSS_SELECTOR, "tr.detail")
        report.expect("a log row expands to the request and the answer", True,
                      wait_until(lambda: detail.is_displayed() and "HTTP 200" in detail.text and hook["receiver"].url in detail.text, 5))
        b.shot("delivery-moved")
        time.sleep(5.5)  # an auto-refresh keeps the expanded row open
        report.expect("the expanded row stays open across a refresh", True,
                      any(e.is_displayed() for e in b.find_all("main tbody.log-entry tr.detail")))
        Select(b.by_label("Period")).select_by_value("HOUR")
        per_hour = wait_until(lambda: b.driver.execute_script(
            "const f = [...document.querySelectorAll('main figure.chart')].find(f => f.querySelector('.chart-title').textContent === 'Delivered');"
            "return f && f.querySelector('caption').textContent.includes('per hour') && f.querySelector('desc').textContent.startsWith('6 ')"), 15, 0.5)
        report.expect("per hour: redrawn with the same total", True, per_hour)
        Select(b.by_label("Period")).select_by_value("DAY")
        per_day = wait_until(lambda: b.driver.execute_script(
            "return [...document.querySelectorAll('main figure.chart caption')].some(c => c.textContent.includes('per day'))"), 15, 0.5)
        report.expect("per day: redrawn", True, per_day)
        b.shot("delivery-per-day")
        _narrow(ctx, report, "delivery page", "delivery-narrow")
        # Keyboard alone: Enter on a log row's button opens it, Space closes it.
        button = b.find_all("main tbody.log-entry")[-1].find_element(By.CSS_SELECTOR, "button[aria-expanded]")
        b.driver.execute_script("arguments[0].focus()", button)
        button.send_keys(Keys.ENTER)
        opened = button.get_attribute("aria-expanded")
        button.send_keys(Keys.SPACE)
        report.expect("keyboard: Enter opens a log row, Space closes it", ("true", "false"), (opened, button.get_attribute("aria-expanded")))
    finally:
        hook["receiver"].close()
    _clean_console(report, ctx)
    return report


def check_replay(ctx) -> Report:
    report = Report("replay: failed events listed and replayed from the console; pause and resume")
    b = ctx.browser
    _sign_in(ctx, ctx.token)
    hook = _webhook(ctx, "replay")
    dest = hook["destination"]
    rec = hook["receiver"]
    try:
        # reject-once: 400 the first time (Sluice discards it: a failed event), 200 after.
        refused = _send(ctx, hook, ["reject-once"] * 3 + ["ok"])[:3]
        failed_api = lambda: ctx.api.request("GET", f"/sluice/failed-events?pagination.count=50&destinationId={dest}")["data"]["failedEvents"]  # noqa: E731
        report.expect("API: 3 failed events", 3, len(failed_api()) if wait_until(lambda: len(failed_api()) == 3, 20) else len(failed_api()))
        _page(ctx, f"/destinations/{dest}/delivery", "main li[data-step='failed-delivery']")
        listed = wait_until(lambda: {e.get_attribute("data-message-id") for e in b.find_all("main tbody.failed-entry")} == set(refused), 15, 0.5)
        report.expect("the console lists the 3 failed events", True, listed)
        report.expect("with their reason", True, "HTTP 400" in b.find("main .failed-box").text)
        report.expect("the Failed stage counts them", 3, _stage(ctx, "failed-delivery"))
        b.shot("delivery-failed-events")
        # One selected, then the rest.
        first = b.find_all("main tbody.failed-entry")[0]
        first_id = first.get_attribute("data-message-id")
        first.find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()
        b.button("Replay selected (1)").click()
        report.expect("notice: replayed 1", True, _notice(ctx, "Replayed 1 event"))
        got = lambda mid: any(h.body_message_id == mid and h.status == 200 for h in rec.snapshot())  # noqa: E731
        report.expect("the receiver got the selected one again, 200", True, wait_until(lambda: got(first_id), 15))
        report.expect("two left in the console", True,
                      wait_until(lambda: len(b.find_all("main tbody.failed-entry")) == 2, 15, 0.5))
        b.button("Replay all 2 failed events").click()
        report.expect("notice: replayed 2", True, _notice(ctx, "Replayed 2 events"))
        report.expect("the receiver got every refused event with a 200", True, wait_until(lambda: all(got(m) for m in refused), 15))
        report.expect("no failed events left in the console", True, b.text_appears("No failed events.", timeout=15))
        report.expect("API: no failed events left", 0, len(failed_api()))
        b.shot("delivery-replayed")

        # Pause and resume.
        state = lambda: ctx.api.request("GET", f"/sluice/destinations/{dest}/delivery")["data"]["delivery"]["paused"]  # noqa: E731
        b.button("Pause delivery").click()
        report.expect("notice: paused", True, _notice(ctx, "Delivery paused"))
        report.expect("API: paused", True, wait_until(state, 5))
        report.expect("the page says paused", True,
                      wait_until(lambda: b.find_all("main [data-paused='true']") != [], 5))
        b.shot("delivery-paused")
        [held] = _send(ctx, hook, ["ok"])
        time.sleep(2)
        report.expect("a paused destination holds the event", False, any(h.body_message_id == held for h in rec.snapshot()))
        b.button("Resume delivery").click()
        report.expect("notice: resumed", True, _notice(ctx, "Delivery resumed"))
        report.expect("API: not paused", False, not wait_until(lambda: not state(), 5))
        report.expect("the held event arrives after Resume", True, wait_until(lambda: got(held), 15))
        report.expect("the page says delivering", True, b.text_appears("Delivering", timeout=5))

        # The rate limit: a refusal at its field, then set and removed.
        limit = lambda: ctx.api.request("GET", f"/sluice/destinations/{dest}/delivery")["data"]["delivery"]["rateLimit"]  # noqa: E731
        label = "Rate limit (events a second; empty for none)"
        _type(b.by_label(label), "0")
        b.button("Save limit").click()
        report.expect("a limit of 0: the server's message at the field", True,
                      "above 0" in _field_error(ctx, label))
        report.expect("API: still no limit", None, limit())
        _type(b.by_label(label), "25")
        b.button("Save limit").click()
        report.expect("notice: limited", True, _notice(ctx, "Delivery limited to 25 events a second"))
        report.expect("API: the limit", {"eventsPerSecond": 25}, limit())
        report.expect("the page shows the limit", True,
                      wait_until(lambda: b.find_all("main [data-rate-limit='25']") != [], 5))
        b.shot("delivery-rate-limit")
        b.by_label(label).clear()
        b.button("Save limit").click()
        report.expect("notice: removed", True, _notice(ctx, "Rate limit removed"))
        report.expect("API: no limit", None, limit())
    finally:
        rec.close()
    _clean_console(report, ctx, ((r"/sluice/destinations/[^/]+/delivery", 422),))
    return report


def check_filters(ctx) -> Report:
    report = Report("filters: create a filter in the page, preview it, switch it off, delete it")
    b = ctx.browser
    _sign_in(ctx, ctx.token)
    hook = _webhook(ctx, "filters")
    dest = hook["destination"]
    hook["receiver"].close()  # nothing is delivered in this check
    api_filters = lambda: ctx.api.request("GET", f"/destination/{dest}/filters")["data"]["filters"]  # noqa: E731
    _page(ctx, f"/destinations/{dest}/filters", "main .filters-list")
    report.expect("no filters at first", True, b.text_appears("No filters"))
    b.button("New filter").click()
    b.find("main form.editor")
    _type(b.by_label("Title"), "No test users")
    _type(b.by_label("If (FQL)"), 'contains(userId, "test")')
    Select(b.by_label("Actions template")).select_by_visible_text("Drop the event")
    # Only the answer for the whole condition: a part typed ('contains(userId, "te') is an error on the way there.
    state, text = _state(ctx, "main .filter-result", ("dropped",))
    report.expect("preview of a test user: dropped", "dropped", state)
    payload = b.by_label("Sample payload (JSON)")
    _set_value(ctx, payload, json.dumps({"type": "track", "event": "Clicked", "userId": "real-1", "properties": {"email": "a@example.com"}}, indent=2))
    state, _ = _state(ctx, "main .filter-result", ("kept", "changed"))
    report.expect("preview of another user: kept", "kept", state)
    _type(b.by_label("If (FQL)"), "userId =")
    message = _field_error(ctx, "If (FQL)")
    report.expect("a broken If: the parser's message at the field", True, "Expected a value" in message, "Expected a value" in message)
    _type(b.by_label("If (FQL)"), 'contains(userId, "test")')
    Select(b.by_label("Actions template")).select_by_visible_text("Drop properties")
    _set_value(ctx, b.by_label("Then (actions, JSON)"), json.dumps([{"type": "DROP_PROPERTIES", "fields": {"properties": ["email"]}}]))
    _set_value(ctx, payload, json.dumps({"type": "track", "event": "Clicked", "userId": "test-1", "properties": {"email": "a@example.com", "plan": "pro"}}))
    state, text = _state(ctx, "main .filter-result", ("changed",))
    report.expect("preview of DROP_PROPERTIES: changed, without the email", ("changed", False), (state, "a@example.com" in text),
                  state == "changed" and "a@example.com" not in text and "pro" in text)
    b.shot("filters-preview")
    _narrow(ctx, report, "filter editor", "filters-preview-narrow")
    b.button("Create filter").click()
    report.expect("notice: created", True, _notice(ctx, "Created the filter"))
    filters = api_filters()
    report.expect("API: the filter", [("No test users", 'contains(userId, "test")', [{"type": "DROP_PROPERTIES", "fields": {"properties": ["email"]}}], True)],
                  [(f["title"], f["if"], f["actions"], f["enabled"]) for f in filters])
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "main .filters-list input[role='switch']"))
    b.shot("filters-list")
    b.find("main .filters-list input[role='switch']").click()
    report.expect("the switch disables it (API)", True, wait_until(lambda: api_filters()[0]["enabled"] is False, 5))
    b.button("Delete").click()
    b.button("Delete it").click()
    report.expect("notice: deleted", True, _notice(ctx, "Deleted the filter"))
    report.expect("API: no filters", [], api_filters())
    _clean_console(report, ctx, ((r"/destination/filters/preview", 422),))
    return report


def check_readonly_ops(ctx) -> Report:
    report = Report("readonly-ops: no write offered on subscriptions, filters and delivery; checks still work")
    b = ctx.browser
    hook = _webhook(ctx, "readonly")
    dest = hook["destination"]
    try:
        _send(ctx, hook, ["reject"])
        wait_until(lambda: ctx.api.request("GET", f"/sluice/failed-events?pagination.count=5&destinationId={dest}")["data"]["failedEvents"], 20)
        ctx.api.request("POST", f"/destination/{dest}/filters", {"sourceId": hook["source"], "title": "Drop tests", "enabled": True,
                                                                "if": 'contains(userId, "test")', "actions": [{"type": "DROP"}]})
    finally:
        hook["receiver"].close()
    _sign_in(ctx, ctx.readonly_token)
    try:
        report.expect("signed in read-only", True, b.text_appears("read-only", "#who"))
        # Subscriptions.
        _page(ctx, f"/destinations/{dest}/subscriptions", "main .subs-list table")
        report.expect("subscriptions: no write offered", [], _writes(ctx, {"Open"}, set()))
        b.shot("readonly-subscriptions")
        b.button("Open").click()
        b.find("main form.editor")
        report.expect("subscription opened: no write offered", [],
                      _writes(ctx, {"Open", "Close"}, {"trigger", "sample", "logEntry"}))
        state, _ = _state(ctx, "main .check-status", ("match", "nomatch", "error"))
        report.expect("the trigger check works read-only (matches)", "match", state)
        _type(b.by_label("Trigger"), 'type = "identify"')
        # Only the answer for the whole trigger: a part typed ('type = "ide') is an error on the way there.
        state, _ = _state(ctx, "main .check-status", ("nomatch",))
        report.expect("and reports a non-match", "nomatch", state)
        b.shot("readonly-subscription-open")
        # Filters.
        _page(ctx, f"/destinations/{dest}/filters", "main .filters-list table")
        report.expect("filters: no write offered", [], _writes(ctx, {"Preview", "Try a filter"}, set()))
        b.shot("readonly-filters")
        b.button("Preview").click()
        b.find("main form.editor")
        report.expect("filter opened: no write offered", [],
                      _writes(ctx, {"Preview", "Try a filter", "Close"}, {"if", "actions", "template", "payload"}))
        state, _ = _state(ctx, "main .filter-result", ("dropped", "kept", "changed", "error"))
        report.expect("the filter preview works read-only (a test user: dropped)", "dropped", state)
        # Delivery.
        _page(ctx, f"/destinations/{dest}/delivery", "main li[data-step='failed-delivery']")
        b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "main tbody.failed-entry"), 15)
        report.expect("delivery: failed events listed", True, len(b.find_all("main tbody.failed-entry")) >= 1)
        report.expect("delivery: no replay, pause, resume or rate limit offered", [],
                      _writes(ctx, {"Refresh", "Show", "Hide"}, {"granularity", "delivery-auto"}))
        report.expect("delivery: the state is shown", True, b.text_appears("Delivering"))
        b.shot("readonly-delivery")
    finally:
        _clean_console(report, ctx)
        _sign_in(ctx, ctx.token)
    return report


CHECKS = {
    "subscription-preset": check_subscription_preset,
    "delivery-moves": check_delivery_moves,
    "replay": check_replay,
    "filters": check_filters,
    "readonly-ops": check_readonly_ops,
}


if __name__ == "__main__":
    # Run alone: e2e_console's runner (server, tokens, browser, sign-in), offering only these checks.
    import e2e_console  # noqa: E402

    e2e_console.all_checks = lambda: dict(CHECKS)
    sys.exit(e2e_console.main())
