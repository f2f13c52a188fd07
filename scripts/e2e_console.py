#!/usr/bin/env python3
"""End-to-end check of the web console (issue 18) in headless Chromium, against a real `sluice serve`.

    scripts/e2e_console.py [--check NAME|all] [--bin PATH] [--shots DIR] [--keep] [--mode short|long]

One server on a throw-away SQLite file (--bin, else $SLUICE_BIN, else the debug build), a full token and a
read-only one (`sluice token create --read-only` on the same store before the server starts), one Chromium
window. The checks, in order (each can run alone: what it needs from an earlier one it makes through the API):

  signin        a wrong token shows an error at the Token field; the right one signs in; the token is in the
                tab's sessionStorage, not in the URL nor in a cookie; /console/ answers the CSP and
                X-Frame-Options: DENY
  sources       a source created through the form is listed; its write key shown equals the API's, and Copy
                copies it (or selects it); the switch disables it (checked through the API)
  destinations  the catalog search finds Webhooks (Actions); the settings form shows the server's messages at
                the fields they name (a name too long, and Amplitude's missing required API Key); then the
                destination is created (checked through the API)
  secrets       the Webhooks shared secret set through the form is shown masked, never in clear; saving the
                form again (renaming) keeps it (the API's masked value is unchanged) and a delivered event is
                signed with it (the receiver checks X-Signature)
  readonly      with the read-only token: the nav and the lists work, and no create, edit, delete or switch is
                offered on sources, destinations and a destination's page
  narrow        at 400 px wide, the lists, the settings form and a destination's page do not overflow
  audit         the audit trail lists the creates above, and its filter by resource type works

Then the checks of scripts/e2e_console_ops.py, when present: its CHECKS dict maps names to functions of one
argument, a Context (below), each answering a Report. Every check also requires that the browser logged no
console error or warning, except the failed requests it provoked on purpose.

Screenshots of each page go to <workdir>/screenshots (or --shots DIR); the path is printed. Exits 1 when a check
fails, 2 on bad usage. Needs Selenium (scripts/requirements-ci.txt: scripts/setup-python puts it in .venv-ci;
run with the system python3, the script re-runs itself with .venv-ci's when Selenium is missing) and Debian's
`chromium` and `chromium-driver`.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import selenium  # noqa: F401
except ImportError:  # the system python3: use the CI virtualenv's, which has Selenium
    VENV = os.path.join(os.path.dirname(HERE), ".venv-ci")
    if os.path.exists(os.path.join(VENV, "bin", "python")) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(os.path.join(VENV, "bin", "python"), [os.path.join(VENV, "bin", "python"), *sys.argv])
    raise

import argparse
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field

sys.path.insert(0, HERE)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from e2e_lib.browser import Browser, wait_until  # noqa: E402
from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.sluice import (  # noqa: E402
    SOURCE_METADATA, WEBHOOKS_ACTIONS, WEBHOOKS_SEND_ACTION, APIError, PublicAPI, SluiceProcess, default_binary,
)

AMPLITUDE_ACTIONS = "5f7dd6d21ad74f3842b1fc47"
MASK = "\u2022" * 10


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


@dataclass
class Context:
    """What every check gets (this script's and scripts/e2e_console_ops.py's)."""

    browser: Browser
    api: PublicAPI  # the full token
    base_url: str
    token: str
    readonly_token: str
    bin: str
    workdir: str
    shots_dir: str
    report_title: str = "console"
    # What earlier checks made, for later ones (a check run alone makes its own through the API).
    state: dict = field(default_factory=dict)

    def sign_in(self, token: str) -> None:
        """Signs out, then in with `token`, on a fresh console page (without a race with a page still loading)."""
        signed_in_as(self, token)


# ---------------------------------------------------------------------------------------------------------------
# Helpers.

def failed_request(message: str, path_pattern: str, status: int) -> bool:
    """Whether a console line is Chromium's "Failed to load resource" for `path_pattern` (a regex on the URL's path,
    anchored at the end) answered `status`."""
    match = re.match(r"^(\S+) - Failed to load resource: the server responded with a status of (\d+)", message)
    if not match or int(match.group(2)) != status:
        return False
    path = urllib.request.urlparse(match.group(1)).path
    return re.search(path_pattern + r"$", path) is not None


def expect_clean_console(report: Report, ctx: Context, allowed: tuple[tuple[str, int], ...] = ()) -> None:
    """The browser logged no error or warning but the failed requests in `allowed` ((path regex, status) pairs)."""
    errors = ctx.browser.errors()
    unexpected = [m for m in errors if not any(failed_request(m, p, s) for p, s in allowed)]
    report.expect("no console errors or warnings", [], unexpected)
    if len(errors) > len(unexpected):
        report.info("expected failed requests in the console", len(errors) - len(unexpected))


def visit(ctx: Context, path: str, timeout: float = 10.0) -> None:
    """Moves to the console's `#path` and waits until that page has rendered (a new heading, no "Loading…")."""
    b = ctx.browser
    if b.driver.execute_script("return location.hash") == "#" + path:
        b.open(path)
    else:
        mark_page(ctx)
        b.driver.execute_script("location.hash = arguments[0]", path)
    new_page(ctx, timeout)


def mark_page(ctx: Context) -> None:
    """Remembers the page shown now, for `new_page`."""
    ctx.browser.driver.execute_script("window.e2eOldHeading = document.querySelector('main h1')")


def new_page(ctx: Context, timeout: float = 10.0) -> None:
    """Waits until another page than the one `mark_page` saw has rendered (a new heading, no "Loading…")."""
    ctx.browser.wait(lambda d: d.execute_script(
        "const h = document.querySelector('main h1');"
        "return !!h && h !== window.e2eOldHeading && !document.querySelector('main p.loading')"), timeout)


def main_text(ctx: Context) -> str:
    return ctx.browser.driver.find_element(By.CSS_SELECTOR, "main").text


def wait_notice(ctx: Context, text: str, timeout: float = 10.0) -> bool:
    return ctx.browser.text_appears(text, "#notice", timeout)


def wait_h1(ctx: Context, text: str, timeout: float = 10.0) -> bool:
    script = "return Array.from(document.querySelectorAll('main h1'), (e) => e.textContent.trim())"
    try:
        ctx.browser.wait(lambda d: text in d.execute_script(script), timeout)
        return True
    except Exception:
        return False


def loaded(ctx: Context, timeout: float = 10.0) -> None:
    """Waits until the page has replaced its "Loading…" line with a heading."""
    ctx.browser.wait(lambda d: d.execute_script("return !document.querySelector('main p.loading') && !!document.querySelector('main h1')"), timeout)


def field_error(ctx: Context, label: str) -> str:
    """The error shown under the control labelled `label`."""
    control = ctx.browser.by_label(label)
    box = ctx.browser.driver.find_element(By.ID, f"{control.get_attribute('id')}-error")
    return box.text.strip() if box.is_displayed() else ""


def wait_field_error(ctx: Context, label: str, timeout: float = 10.0) -> str:
    try:
        return ctx.browser.wait(lambda d: field_error(ctx, label) or False, timeout)
    except Exception:
        return ""


def set_text(ctx: Context, label: str, text: str) -> None:
    control = ctx.browser.by_label(label)
    control.clear()
    if text:
        # A long value goes in through JS (send_keys of hundreds of characters is slow), then an input event.
        if len(text) > 64:
            ctx.browser.driver.execute_script(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", control, text)
        else:
            control.send_keys(text)


def switches(ctx: Context) -> list:
    return [e for e in ctx.browser.find_all("main input[role='switch']") if e.is_displayed()]


def clear_session(ctx: Context) -> None:
    ctx.browser.open("/e2e-no-such-page")
    ctx.browser.driver.execute_script("sessionStorage.clear()")


def signed_in_as(ctx: Context, token: str) -> None:
    """Signs in with `token` (signing out first) on a fresh page. The session is cleared on a console route that
    calls no API (one that does not exist): clearing it under a page that is still loading would send that
    page's requests with no token (401s in the console)."""
    clear_session(ctx)
    ctx.browser.sign_in(token)


def ensure_source(ctx: Context) -> tuple[str, str, str]:
    """(id, slug, write key) of the source the sources check made, or of one made now through the API."""
    if "source" not in ctx.state:
        slug = "e2e-api-" + secrets.token_hex(3)
        source = ctx.api.request("POST", "/sources", {"slug": slug, "enabled": True, "metadataId": SOURCE_METADATA, "name": "E2E API source"})
        s = source["data"]["source"]
        ctx.state["source"] = (s["id"], s["slug"], s["writeKeys"][0])
    return ctx.state["source"]


def ensure_webhook(ctx: Context) -> str:
    """The id of the Webhooks (Actions) destination the destinations check made, or of one made now through the API."""
    if "webhook" not in ctx.state:
        source_id, _, _ = ensure_source(ctx)
        d = ctx.api.request("POST", "/destinations", {"sourceId": source_id, "metadataId": WEBHOOKS_ACTIONS, "enabled": True,
                                                      "name": "E2E API webhook", "settings": {}})["data"]["destination"]
        ctx.state["webhook"] = d["id"]
    return ctx.state["webhook"]


# ---------------------------------------------------------------------------------------------------------------
# The checks.

def check_signin(ctx: Context) -> Report:
    report = Report("signin: a wrong token is refused at its field; the right one is kept in sessionStorage only")
    b = ctx.browser
    with urllib.request.urlopen(ctx.base_url + "/console/", timeout=10) as response:
        csp = response.headers.get("Content-Security-Policy") or ""
        report.expect("/console/ Content-Security-Policy allows no inline script, no other origin",
                      "script-src 'self', default-src 'none'", csp[:60] + ("…" if len(csp) > 60 else ""),
                      "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp)
        report.expect("/console/ X-Frame-Options", "DENY", response.headers.get("X-Frame-Options"))
    clear_session(ctx)
    b.open()
    token_field = b.by_label("Token")
    token_field.send_keys("not-" + ctx.token)
    b.button("Sign in").click()
    message = wait_field_error(ctx, "Token")
    report.expect("wrong token: an error at the Token field", "an error", message or "(none)", bool(message))
    report.expect("wrong token: still on the sign-in page", True, not b.find_all("#nav:not([hidden])"))
    b.shot("signin-error")
    token_field = b.by_label("Token")
    token_field.clear()
    token_field.send_keys(ctx.token)
    b.button("Sign in").click()
    b.find("#nav:not([hidden])")
    loaded(ctx)
    storage = b.session_storage()
    report.expect("token in sessionStorage", True, ctx.token in storage.values())
    report.expect("token not in the URL", False, ctx.token in b.driver.current_url)
    cookie = b.driver.execute_script("return document.cookie")
    report.expect("token not in document.cookie", False, ctx.token in cookie)
    report.expect("token not in localStorage", False,
                  ctx.token in (b.driver.execute_script("return JSON.stringify(Object.assign({}, localStorage))") or ""))
    b.shot("signed-in")
    expect_clean_console(report, ctx, allowed=((r"/sluice/token", 401),))
    return report


def check_sources(ctx: Context) -> Report:
    report = Report("sources: create through the form, list, write key shown and copied, disable")
    b = ctx.browser
    signed_in_as(ctx, ctx.token)
    visit(ctx, "/sources")
    b.find("details.create > summary").click()
    slug = "e2e-web-" + secrets.token_hex(3)
    name = "E2E Web " + slug[-6:]
    set_text(ctx, "Slug", slug)
    set_text(ctx, "Name", name)
    Select(b.by_label("Catalog source")).select_by_value(SOURCE_METADATA)
    b.shot("sources-form")
    b.button("Create source").click()
    report.expect("after Create: the source's page", name, name if wait_h1(ctx, name) else main_text(ctx)[:80])
    sources = ctx.api.request("GET", "/sources?pagination.count=200")["data"]["sources"]
    created = next((s for s in sources if s["slug"] == slug), None)
    report.expect("created (API)", slug, created and created["slug"])
    if not created:
        return report
    ctx.state["source"] = (created["id"], slug, created["writeKeys"][0])
    shown = [e.text for e in b.find_all("main code.key")]
    report.expect("write key shown = the API's", created["writeKeys"], shown)
    b.shot("source-detail")
    # Copy: the Clipboard API where Chromium grants it, else the key is selected.
    try:
        b.driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": ctx.base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    except Exception:
        pass
    b.driver.find_element(By.CSS_SELECTOR, "main button.copy").click()
    wait_notice(ctx, "write key")
    notice = b.driver.find_element(By.ID, "notice").text
    if notice.startswith("Copied"):
        copied = b.driver.execute_async_script(
            "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('error: ' + e.message))")
        report.expect("Copy: the clipboard holds the write key", created["writeKeys"][0], copied)
    else:
        selected = b.driver.execute_script("return String(window.getSelection())")
        report.expect("Copy (no clipboard): the write key is selected", created["writeKeys"][0], selected.strip())
    # Listed.
    visit(ctx, "/sources")
    report.expect("listed", True, b.text_appears(slug))
    row = next((r for r in b.find_all("main tbody tr") if slug in r.text), None)
    report.expect("the list shows the write key", True, bool(row) and created["writeKeys"][0] in row.text)
    b.shot("sources-list")
    # Disable with the switch (on the source's page).
    visit(ctx, f"/sources/{created['id']}")
    wait_h1(ctx, name)
    switch = switches(ctx)
    report.expect("one enabled switch", (1, True), (len(switch), bool(switch) and switch[0].is_selected()))
    if switch:
        switch[0].click()
        wait_notice(ctx, "is disabled")
        enabled = lambda: ctx.api.request("GET", f"/sources/{created['id']}")["data"]["source"]["enabled"]  # noqa: E731
        report.expect("disabled (API)", False, enabled() if wait_until(lambda: not enabled(), 5) else enabled())
        report.expect("the switch reads off", False, switches(ctx)[0].is_selected())
    b.shot("source-disabled")
    expect_clean_console(report, ctx)
    return report


def check_destinations(ctx: Context) -> Report:
    report = Report("destinations: catalog search, the server's messages at their fields, created")
    b = ctx.browser
    source_id, source_slug, _ = ensure_source(ctx)
    signed_in_as(ctx, ctx.token)
    visit(ctx, "/destinations")
    b.button("Add a destination").click()
    search = b.by_label("Search the catalog")
    report.expect("the catalog lists its destinations", True, b.text_appears("destinations match"))
    # A destination with required settings first: its missing API Key is reported at that field.
    search.send_keys("amplitude actions")
    b.find("a[aria-label='Choose Amplitude (Actions)']").click()
    wait_h1(ctx, "Add Amplitude (Actions)")
    report.expect("required setting marked", True, "*" in b.driver.find_element(By.XPATH, "//label[starts-with(normalize-space(.), 'API Key')]").text)
    b.button("Create destination").click()
    message = wait_field_error(ctx, "API Key")
    report.expect("missing required setting: the server's message at API Key", "…apiKey… required…", message,
                  "apiKey" in message and "required" in message)
    b.shot("destination-form-error-required")
    # Webhooks (Actions), through the search.
    visit(ctx, "/destinations/new")
    search = b.by_label("Search the catalog")
    search.send_keys("webhooks")
    row = b.wait(lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "main tbody tr") if "Webhooks (Actions)" in r.text), False))
    report.expect("search result shows categories and kind", True, "Raw Data" in row.text and "Actions" in row.text)
    report.expect("search result says Sluice delivers to it", True, "Sluice delivers" in row.text)
    b.shot("destinations-catalog-search")
    # "Only destinations Sluice delivers to" leaves exactly what GET /sluice/integrations lists.
    search.clear()
    b.by_label("Only destinations Sluice delivers to").click()
    delivered = {i["name"] for i in ctx.api.request("GET", "/sluice/integrations")["data"]["integrations"]}
    shown = lambda: {e.text for e in b.find_all("main tbody td[data-label='Destination'] a")}  # noqa: E731
    report.expect("only the destinations Sluice delivers to", sorted(delivered), sorted(shown()),
                  wait_until(lambda: shown() == delivered, 5))
    b.by_label("Only destinations Sluice delivers to").click()
    search.send_keys("kinesis")
    row = b.wait(lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "main tbody tr") if "Amazon Kinesis" in r.text), False))
    report.expect("a destination Sluice does not deliver to says so", True, "configured only" in row.text)
    search.clear()
    search.send_keys("webhooks")
    b.find("a[aria-label='Choose Webhooks (Actions)']").click()
    wait_h1(ctx, "Add Webhooks (Actions)")
    Select(b.by_label("Source")).select_by_value(source_id)
    set_text(ctx, "Name", "x" * 300)
    b.button("Create destination").click()
    message = wait_field_error(ctx, "Name")
    report.expect("name too long: the server's message at Name", "name must be at most 256 characters (got 300)", message)
    b.shot("destination-form-error")
    name = "E2E webhook " + secrets.token_hex(3)
    set_text(ctx, "Name", name)
    b.button("Create destination").click()
    report.expect("created: the destination's page", name, name if wait_h1(ctx, name) else main_text(ctx)[:80])
    destinations = ctx.api.request("GET", "/destinations?pagination.count=200")["data"]["destinations"]
    created = next((d for d in destinations if d["name"] == name), None)
    report.expect("created (API): catalog entry, source, enabled",
                  (WEBHOOKS_ACTIONS, source_id, True),
                  created and (created["metadata"]["id"], created["sourceId"], created["enabled"]))
    if created:
        ctx.state["webhook"] = created["id"]
        tabs = [a.text for a in b.find_all("main nav.tabs a")]
        report.expect("tabs of an Actions destination", ["Settings", "Subscriptions", "Filters", "Delivery"], tabs)
        b.shot("destination-detail")
        # The list: search and its switch.
        visit(ctx, "/destinations")
        b.by_label("Search destinations").send_keys(name[-6:])
        b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "main tbody tr")) == 1)
        report.expect("search narrows the list to it", True, name in b.driver.find_element(By.CSS_SELECTOR, "main tbody").text)
        b.shot("destinations-list-search")
        switch = switches(ctx)
        if switch:
            switch[0].click()
            wait_notice(ctx, "is disabled")
            state = ctx.api.request("GET", f"/destinations/{created['id']}")["data"]["destination"]["enabled"]
            report.expect("the list's switch disables it (API)", False, state)
            switches(ctx)[0].click()
            wait_notice(ctx, "is enabled")
            state = ctx.api.request("GET", f"/destinations/{created['id']}")["data"]["destination"]["enabled"]
            report.expect("and enables it again (API)", True, state)
    # Delete, with its confirmation (on a destination made for it).
    doomed = ctx.api.request("POST", "/destinations", {"sourceId": source_id, "metadataId": WEBHOOKS_ACTIONS, "enabled": False,
                                                       "name": "E2E doomed", "settings": {}})["data"]["destination"]["id"]
    visit(ctx, f"/destinations/{doomed}")
    wait_h1(ctx, "E2E doomed")
    b.button("Delete destination").click()
    b.text_appears("This cannot be undone")
    b.shot("destination-delete-confirm")
    report.expect("the confirmation's Cancel has the focus", "Cancel", b.driver.switch_to.active_element.text)
    b.button("Delete E2E doomed").click()
    report.expect("deleted: back to the list, with a notice", (True, True),
                  (wait_h1(ctx, "Destinations"), wait_notice(ctx, "Deleted E2E doomed")))
    try:
        ctx.api.request("GET", f"/destinations/{doomed}")
        gone = "still there"
    except APIError as error:
        gone = error.status
    report.expect("deleted (API: 404)", 404, gone)
    expect_clean_console(report, ctx, allowed=((r"/destinations", 422),))
    return report


def check_secrets(ctx: Context) -> Report:
    report = Report("secrets: the Webhooks shared secret is shown masked, kept when untouched, and signs deliveries")
    b = ctx.browser
    source_id, _, write_key = ensure_source(ctx)
    destination_id = ensure_webhook(ctx)
    secret = "e2e-secret-" + secrets.token_hex(8)
    signed_in_as(ctx, ctx.token)
    visit(ctx, f"/destinations/{destination_id}")
    control = b.by_label("Shared Secret")
    report.expect("the secret's control is a password input", "password", control.get_attribute("type"))
    control.send_keys(secret)
    b.button("Save settings").click()
    wait_notice(ctx, "Saved")
    masked = MASK + secret[-4:]
    shown = [e.text for e in b.find_all("main code.masked")]
    report.expect("after saving: shown masked", [masked], shown)
    report.expect("the clear secret is nowhere in the page", False, secret in b.driver.page_source)
    report.expect("the secret's input is empty again", "", b.by_label("Shared Secret").get_attribute("value"))
    api_value = ctx.api.request("GET", f"/destinations/{destination_id}")["data"]["destination"]["settings"].get("sharedSecret")
    report.expect("the API answers it masked", masked, api_value)
    b.shot("destination-secret-masked")
    # Save again without touching the secret (a rename): the secret is kept.
    new_name = "E2E renamed " + secrets.token_hex(3)
    set_text(ctx, "Name", new_name)
    b.button("Save settings").click()
    wait_h1(ctx, new_name)
    after = ctx.api.request("GET", f"/destinations/{destination_id}")["data"]["destination"]
    report.expect("saved again untouched: renamed, the masked secret unchanged (API)", (new_name, masked),
                  (after["name"], after["settings"].get("sharedSecret")))
    report.expect("still shown masked", [masked], [e.text for e in b.find_all("main code.masked")])
    # The stored secret is the one typed: a delivered event is signed with it.
    receiver = Receiver(secret).start()
    try:
        ctx.api.request("PATCH", f"/sources/{source_id}", {"enabled": True})
        subscription = ctx.api.request("POST", f"/destinations/{destination_id}/subscriptions", {
            "name": "e2e console secret", "actionId": WEBHOOKS_SEND_ACTION, "trigger": 'type = "track"', "enabled": True,
            "settings": {"url": receiver.url, "method": "POST", "enable_batching": False},
        })["data"]["destinationSubscription"]
        ctx.state["subscription"] = subscription["id"]
        status = ctx.api.post_batch(write_key, [{"type": "track", "event": "Console Secret", "userId": "u-1",
                                                 "messageId": "console-secret-" + secrets.token_hex(4), "properties": {}}])
        report.expect("event accepted", 200, status)
        arrived = wait_until(lambda: len(receiver.snapshot()) > 0, 30)
        hits = receiver.snapshot()
        report.expect("delivered, signed with the secret typed in the form (X-Signature)", (True, True),
                      (arrived, bool(hits) and hits[0].signature_ok))
    finally:
        receiver.close()
    expect_clean_console(report, ctx)
    return report


def check_readonly(ctx: Context) -> Report:
    report = Report("readonly: a read-only token sees everything and is offered no write")
    b = ctx.browser
    source_id, source_slug, _ = ensure_source(ctx)
    destination_id = ensure_webhook(ctx)
    signed_in_as(ctx, ctx.readonly_token)
    report.expect("the read-only badge", True, b.text_appears("read-only", "#who"))

    def writes() -> list[str]:
        """Controls in main that would change something: buttons other than Copy / paging, enabled inputs other than
        search boxes and filters, switches, create links and forms."""
        found = []
        for el in b.find_all("main button"):
            if el.is_displayed() and el.text.strip() not in ("Copy", "Previous page", "Next page", "Filter"):
                found.append(f"button {el.text.strip()!r}")
        for el in b.find_all("main input, main select, main textarea"):
            if el.is_displayed() and el.is_enabled() and el.get_attribute("type") != "search" \
                    and el.get_attribute("name") not in ("resourceType", "resourceId"):
                found.append(f"{el.tag_name} {el.get_attribute('name') or el.get_attribute('type')!r}")
        for el in b.find_all("main a"):
            href = el.get_attribute("href") or ""
            if el.is_displayed() and "/new" in href:
                found.append(f"link {el.text.strip()!r}")
        found += ["details (create form)" for el in b.find_all("main details.create") if el.is_displayed()]
        return found

    pages = [
        ("sources list", "/sources", source_slug),
        ("source page", f"/sources/{source_id}", "Write keys"),
        ("destinations list", "/destinations", "Destinations"),
        ("destination page", f"/destinations/{destination_id}", "Settings"),
        ("add destination", "/destinations/new", "read-only"),
        ("audit trail", "/audit", "Audit trail"),
    ]
    for label, path, text in pages:
        visit(ctx, path)
        report.expect(f"{label}: shown", True, b.text_appears(text))
        report.expect(f"{label}: no write offered", [], writes())
        b.shot("readonly-" + label.replace(" ", "-"))
    # The nav, by its links (a person's clicks).
    visit(ctx, "/audit")
    b.driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/sources']").click()
    report.expect("nav: Sources", True, wait_h1(ctx, "Sources"))
    b.driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/destinations']").click()
    report.expect("nav: Destinations", True, wait_h1(ctx, "Destinations"))
    expect_clean_console(report, ctx)
    signed_in_as(ctx, ctx.token)
    return report


def check_narrow(ctx: Context) -> Report:
    report = Report("narrow: at 400 px the pages stay usable (no horizontal overflow)")
    b = ctx.browser
    source_id, _, _ = ensure_source(ctx)
    destination_id = ensure_webhook(ctx)
    signed_in_as(ctx, ctx.token)
    b.resize(400, 900)
    try:
        for label, path in (("destinations list", "/destinations"), ("sources list", "/sources"),
                            ("source page", f"/sources/{source_id}"),
                            ("catalog search", "/destinations/new"),
                            ("settings form", f"/destinations/new?metadataId={AMPLITUDE_ACTIONS}"),
                            ("destination page", f"/destinations/{destination_id}"), ("audit trail", "/audit")):
            visit(ctx, path)
            time.sleep(0.2)
            width, inner = b.driver.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
            report.expect(f"{label}: scrollWidth <= innerWidth", f"<= {inner + 1}", width, width <= inner + 1)
            b.shot("narrow-" + label.replace(" ", "-"))
        # The form can be used: a field is visible and takes text.
        visit(ctx, f"/destinations/new?metadataId={AMPLITUDE_ACTIONS}")
        control = b.by_label("API Key")
        control.send_keys("abc")
        report.expect("a settings field takes text at 400 px", "abc", control.get_attribute("value"))
        report.expect("the submit button is visible", True, b.button("Create destination").is_displayed())
    finally:
        b.resize(1280, 900)
    expect_clean_console(report, ctx)
    return report


def check_audit(ctx: Context) -> Report:
    report = Report("audit: the trail lists the creates, and filters by resource type")
    b = ctx.browser
    source_id, source_slug, _ = ensure_source(ctx)
    destination_id = ensure_webhook(ctx)
    signed_in_as(ctx, ctx.token)
    visit(ctx, "/audit")
    text = main_text(ctx)
    report.expect("lists Source Created", True, "Source Created" in text)
    report.expect("lists Integration Created (a destination)", True, "Integration Created" in text)
    links = [a.get_attribute("href") for a in b.find_all("main tbody a")]
    report.expect("links to the source and the destination", (True, True),
                  (any(h.endswith(f"#/sources/{source_id}") for h in links), any(h.endswith(f"#/destinations/{destination_id}") for h in links)))
    b.shot("audit")
    # Pages of 2 (the hash's count): Next shows the next two, Previous the first two again.
    visit(ctx, "/audit?count=2")
    rows = lambda: [r.text for r in b.find_all("main tbody tr")]  # noqa: E731
    first = rows()
    mark_page(ctx)
    b.button("Next page").click()
    new_page(ctx)
    second = rows()
    report.expect("Next page: two other events", (2, True), (len(second), not set(second) & set(first)))
    mark_page(ctx)
    b.button("Previous page").click()
    new_page(ctx)
    report.expect("Previous page: the first two again", True, rows() == first)
    visit(ctx, "/audit")
    Select(b.by_label("Resource type")).select_by_value("source")
    mark_page(ctx)
    b.button("Filter").click()
    new_page(ctx)
    kinds = {e.text for e in b.find_all("main tbody td[data-label='Resource'] .badge")}
    report.expect("filtered to sources", {"source"}, kinds)
    b.shot("audit-filtered")
    set_text(ctx, "Resource ID", destination_id)
    Select(b.by_label("Resource type")).select_by_value("")
    mark_page(ctx)
    b.button("Filter").click()
    new_page(ctx)
    ids = {e.text for e in b.find_all("main tbody td[data-label='Resource'] code")}
    report.expect("filtered to the destination's id", {destination_id}, ids)
    expect_clean_console(report, ctx)
    return report


CHECKS = {
    "signin": check_signin,
    "sources": check_sources,
    "destinations": check_destinations,
    "secrets": check_secrets,
    "readonly": check_readonly,
    "narrow": check_narrow,
    "audit": check_audit,
}


# ---------------------------------------------------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        self.binary = args.bin or default_binary()
        self.workdir = tempfile.mkdtemp(prefix="sluice-e2e-console.")
        self.shots_dir = args.shots or os.path.join(self.workdir, "screenshots")
        self.servers: list[SluiceProcess] = []
        self.browser: Browser | None = None
        self.ctx: Context | None = None

    def setup(self) -> Context:
        if self.ctx:
            return self.ctx
        token = "e2e-" + secrets.token_hex(16)
        server = SluiceProcess(self.binary, self.workdir, token)
        made = subprocess.run([self.binary, "token", "create", "--read-only", "--database", server.database_arg],
                              check=True, capture_output=True, text=True)
        readonly_token = made.stdout.strip().splitlines()[-1].strip()
        self.servers.append(server)
        server.start()
        log(f"sluice at {server.base_url}; screenshots in {self.shots_dir}")
        self.browser = Browser(server.base_url, self.shots_dir)
        self.ctx = Context(browser=self.browser, api=PublicAPI(server.base_url, token), base_url=server.base_url, token=token,
                           readonly_token=readonly_token, bin=self.binary, workdir=self.workdir, shots_dir=self.shots_dir)
        return self.ctx

    def cleanup(self, failed: bool) -> None:
        if self.browser:
            self.browser.close()
        for server in self.servers:
            server.stop()
        if failed or self.args.keep or self.args.shots is None:
            log(f"kept {self.workdir} (server.log, sluice.sqlite{', screenshots' if self.args.shots is None else ''})")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        log(f"screenshots: {self.shots_dir}")


def all_checks() -> dict:
    """This script's checks, then those of scripts/e2e_console_ops.py when it is there."""
    checks = dict(CHECKS)
    try:
        import e2e_console_ops  # noqa: PLC0415
    except ImportError as error:
        if getattr(error, "name", None) != "e2e_console_ops":
            raise
        return checks
    for name, fn in e2e_console_ops.CHECKS.items():
        if name in checks:
            raise SystemExit(f"e2e_console_ops.CHECKS repeats the check name {name!r}")
        checks[name] = fn
    return checks


def main() -> int:
    checks = all_checks()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", default="all", choices=["all", *checks], help="one check, or all (the default)")
    parser.add_argument("--mode", choices=("short", "long"), default="short", help="passed on to the checks (ctx.state['mode'])")
    parser.add_argument("--bin", help="the sluice binary (default $SLUICE_BIN, else the debug build)")
    parser.add_argument("--shots", help="where to save screenshots (default <workdir>/screenshots)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server.log, sluice.sqlite) even on success")
    args = parser.parse_args()
    run = Run(args)

    def wrap(name, fn):
        def checked():
            ctx = run.setup()
            ctx.state["mode"] = args.mode
            ctx.report_title = name
            return fn(ctx)
        return checked

    return run_checks("e2e_console", {name: wrap(name, fn) for name, fn in checks.items()}, args.check, run.servers, run.cleanup)


if __name__ == "__main__":
    sys.exit(main())
