#!/usr/bin/env python3
"""The web console (issue 18) in headless Firefox, against a real `sluice serve`: every page loads and works.

    scripts/e2e_console_firefox.py [--bin PATH] [--shots DIR] [--keep]

scripts/e2e_console.py holds the console to its behaviour in Chromium; this check proves the same files work in
Firefox ESR (Debian's `firefox-esr`, driven over WebDriver BiDi by e2e_lib/firefox.py, as Debian has no
geckodriver). Through the API it makes a source, a Webhooks destination to a local receiver with a subscription,
and sends events with the write key; then, in Firefox: sign-in with the keyboard alone (the token kept in sessionStorage, not in the URL; Tab reaches the navigation),
every page of the console (sources, a source, destinations, the catalog search, a destination, its subscriptions,
filters and delivery, the audit trail) shows its heading and its data and has a label on every control, a source is created through the form
(checked through the API), the delivery page draws its charts and lists the log; and the browser logged no
console error or warning. Exits 1 when a check fails.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import websocket  # noqa: F401
except ImportError:  # the system python3: use the CI virtualenv's, which has websocket-client (with Selenium)
    VENV = os.path.join(os.path.dirname(HERE), ".venv-ci")
    if os.path.exists(os.path.join(VENV, "bin", "python")) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(os.path.join(VENV, "bin", "python"), [os.path.join(VENV, "bin", "python"), *sys.argv])
    raise

import argparse
import json
import secrets
import shutil
import tempfile
import time

sys.path.insert(0, HERE)

from e2e_lib.firefox import ENTER, TAB, Firefox  # noqa: E402
from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.sluice import PublicAPI, SluiceProcess, default_binary, wait_until  # noqa: E402


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# Every visible control of the page whose accessible name is empty: an input, select or textarea with no <label>, no
# aria-label and no aria-labelledby; a button or link with no text and no aria-label.
UNLABELLED = """[...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((c) => c.type !== 'hidden' && c.getClientRects().length > 0)
  .filter((c) => ['INPUT', 'SELECT', 'TEXTAREA'].includes(c.tagName)
    ? !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby')
    : !c.textContent.trim() && !c.getAttribute('aria-label'))
  .map((c) => c.outerHTML.slice(0, 120))"""


def heading_is(text: str) -> str:
    """A script: is the page's heading `text`?"""
    return f"document.querySelector('main h1')?.textContent.trim() === {json.dumps(text)}"


def check_firefox(args, servers: list) -> Report:
    report = Report("firefox: every page loads and works; a source created through the form; no console errors")
    workdir = tempfile.mkdtemp(prefix="sluice-e2e-firefox-")
    shots = args.shots or os.path.join(workdir, "screenshots")
    os.makedirs(shots, exist_ok=True)
    token = "e2e-firefox-" + secrets.token_hex(12)
    server = SluiceProcess(args.bin, workdir, token)
    servers.append(server)
    server.start()
    api = PublicAPI(server.base_url, token)
    receiver = Receiver(None).start()
    browser = None
    try:
        source_id, write_key = api.create_source("firefox-web")
        destination_id, _ = api.create_webhook(source_id, receiver.url, "firefox-secret-1234")
        events = [{"type": "track", "event": "Firefox Clicked", "userId": f"user-{i}", "messageId": f"ff-{i}"} for i in range(3)]
        report.expect("events accepted", 200, api.post_batch(write_key, events))
        report.expect("the receiver got them", True, wait_until(lambda: len(receiver.snapshot()) >= 3, 20))

        browser = Firefox()
        report.info("browser", browser.version)
        browser.navigate(f"{server.base_url}/console/")
        report.expect("the sign-in form", True, browser.wait_for("document.querySelector('input[name=token]') !== null"))
        # With the keyboard alone: the page puts focus in the Token field; type it and press Enter.
        report.expect("focus starts in the Token field", "token", browser.evaluate("document.activeElement?.name"))
        browser.type_keys(token + ENTER)
        report.expect("signed in with the keyboard: the navigation shows", True,
                      browser.wait_for("document.getElementById('nav').hidden === false"))
        # The page's first focusable element is "Skip to content"; Tab from it reaches the navigation, and Enter on
        # it moves focus to the page and leaves the page where it is.
        focused = "(() => { const a = document.activeElement; return a ? (a.id || a.textContent.trim()) : null; })()"
        browser.wait_for(heading_is("Destinations"))
        report.expect("the first focusable element: the skip link", "Skip to content", browser.evaluate(
            "document.querySelector('a[href], button, input, select, textarea')?.textContent.trim()"))
        browser.evaluate("document.querySelector('a.skip').focus(); true")
        browser.type_keys(TAB)
        report.expect("Tab from it: the navigation", "Sources", browser.evaluate(focused))
        browser.evaluate("document.querySelector('a.skip').focus(); true")
        browser.type_keys(ENTER)
        report.expect("Enter on the skip link: focus on the page, which stays", ("main", "Destinations"),
                      (browser.evaluate(focused), browser.evaluate("document.querySelector('main h1')?.textContent.trim()")))
        report.expect("the token is in sessionStorage only", (True, False),
                      (browser.evaluate(f"Object.values(sessionStorage).some((v) => v.includes({json.dumps(token)}))"),
                       token in browser.evaluate("location.href")))

        pages = [
            ("sources", "#/sources", "Sources", "document.body.textContent.includes('firefox-web')"),
            ("a source", f"#/sources/{source_id}", "firefox-web", "document.querySelector('main code.key') !== null"),
            ("destinations", "#/destinations", "Destinations", "document.body.textContent.includes('e2e receiver')"),
            ("the catalog search", "#/destinations/new?q=webhooks", "Add a destination",
             "[...document.querySelectorAll('main tbody tr')].some((r) => r.textContent.includes('Sluice delivers'))"),
            ("a destination", f"#/destinations/{destination_id}", "e2e receiver",
             "document.querySelector('main input[name=\"settings.sharedSecret\"]') !== null"),
            ("its subscriptions", f"#/destinations/{destination_id}/subscriptions", "Subscriptions · e2e receiver",
             "document.body.textContent.includes('e2e send')"),
            ("its filters", f"#/destinations/{destination_id}/filters", "Filters · e2e receiver",
             "document.body.textContent.includes('No filters')"),
            ("its delivery", f"#/destinations/{destination_id}/delivery", "Delivery · e2e receiver",
             "document.querySelectorAll('main svg').length >= 5 && document.querySelectorAll('main tbody.log-entry').length >= 3"),
            ("the audit trail", "#/audit", "Audit trail", "document.querySelectorAll('main tbody tr').length >= 3"),
        ]
        for name, hash_path, heading, ready in pages:
            browser.evaluate(f"location.hash = {json.dumps(hash_path)}")
            shown = browser.wait_for(heading_is(heading), 10) and browser.wait_for(ready, 15)
            report.expect(f"{name}: its heading and its data", True, shown)
            report.expect(f"{name}: every control has a label", [], browser.evaluate(UNLABELLED))
            browser.screenshot(os.path.join(shots, f"firefox-{name.replace(' ', '-')}.png"))

        # A write through a form: a source, created in the page and found through the API.
        browser.evaluate("location.hash = '#/sources'")
        browser.wait_for(heading_is("Sources"))
        browser.evaluate("(() => { document.querySelector('main details.create').open = true; "
                         "const slug = document.querySelector('main input[name=slug]'); slug.value = 'made-in-firefox'; "
                         "const kind = slug.form.querySelector('select[name=metadataId]'); kind.selectedIndex = 1; "
                         "slug.form.requestSubmit(); return true; })()")
        made = wait_until(lambda: any(s["slug"] == "made-in-firefox" for s in api.request("GET", "/sources?pagination.count=50")["data"]["sources"]), 10)
        report.expect("a source created through the form (API)", True, made)
        report.expect("the page shows it", True, browser.wait_for("document.body.textContent.includes('made-in-firefox')", 10))
        report.expect("no console errors or warnings", [], browser.problems())
    finally:
        if browser:
            browser.close()
        receiver.close()
        server.stop()
        if report.failed or args.keep:
            log(f"kept {workdir} (server.log, sluice.sqlite)")
        else:
            if args.shots:
                shutil.rmtree(workdir, ignore_errors=True)
        log(f"screenshots: {shots}")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=None, help="the sluice binary (default $SLUICE_BIN, else the debug build)")
    parser.add_argument("--shots", help="where to save screenshots (default <workdir>/screenshots)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder even on success")
    args = parser.parse_args()
    args.bin = args.bin or default_binary()
    servers: list = []
    return run_checks("e2e_console_firefox", {"firefox": lambda: check_firefox(args, servers)}, "firefox", servers, lambda failed: None)


if __name__ == "__main__":
    sys.exit(main())
