"""Headless Firefox driven over WebDriver BiDi, for the console's Firefox check (scripts/e2e_console_firefox.py).

Debian packages Firefox ESR but not geckodriver, so this speaks WebDriver BiDi (the W3C protocol Firefox serves
itself with `--remote-debugging-port`) over one WebSocket, with websocket-client (a dependency of Selenium, in
scripts/requirements-ci.txt). Only what the check needs: navigate, evaluate a script in the page, wait for a
condition, and collect the page's console errors and warnings. The profile sends every request that is not to
127.0.0.1 to a closed port, so Firefox's own background traffic (updates, experiments) never leaves the machine.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

import websocket

from e2e_lib.sluice import free_port

# Nothing leaves the machine: every request but loopback goes through a proxy on a closed port.
PREFS = {
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "127.0.0.1,localhost",
    "network.proxy.allow_hijacking_localhost": False,
    "app.update.disabledForTesting": True,
    "messaging-system.rsexperimentloader.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
}


def firefox_path() -> str:
    """Debian's Firefox ESR (`apt-get install firefox-esr`), or a `firefox` on PATH."""
    for name in ("firefox-esr", "firefox"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("headless Firefox is missing: apt-get install firefox-esr")


ENTER = "\ue007"
TAB = "\ue004"


class BiDiError(RuntimeError):
    pass


class Firefox:
    """One headless Firefox window on a throw-away profile."""

    def __init__(self, width: int = 1280, height: int = 900):
        self.profile = tempfile.mkdtemp(prefix="sluice-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as prefs:
            for name, value in PREFS.items():
                prefs.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
        port = free_port()
        self.log_path = os.path.join(self.profile, "firefox.log")
        log = open(self.log_path, "w")
        env = dict(os.environ, MOZ_HEADLESS_WIDTH=str(width), MOZ_HEADLESS_HEIGHT=str(height))
        self.proc = subprocess.Popen(
            [firefox_path(), "--headless", "--no-remote", "--profile", self.profile, "--remote-debugging-port", str(port),
             "about:blank"], stdout=log, stderr=subprocess.STDOUT, env=env)
        self.ws = self._connect(port)
        self.next_id = 0
        self.entries: list[dict] = []
        capabilities = self.call("session.new", {"capabilities": {}})["capabilities"]
        self.version = f"{capabilities.get('browserName')} {capabilities.get('browserVersion')}"
        self.context = self.call("browsingContext.getTree", {})["contexts"][0]["context"]
        self.call("session.subscribe", {"events": ["log.entryAdded"]})

    def _connect(self, port: int) -> websocket.WebSocket:
        deadline = time.monotonic() + 30
        while True:
            try:
                # Firefox refuses a WebSocket upgrade that carries an Origin header.
                return websocket.create_connection(f"ws://127.0.0.1:{port}/session", timeout=30, suppress_origin=True)
            except (OSError, websocket.WebSocketException):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Firefox did not start its WebDriver BiDi server; see {self.log_path}") from None
                time.sleep(0.25)

    def call(self, method: str, params: dict) -> dict:
        """Sends one command and answers its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("type") == "event":
                if message.get("method") == "log.entryAdded":
                    self.entries.append(message["params"])
                continue
            if message.get("id") != self.next_id:
                continue
            if message.get("type") == "error":
                raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    def navigate(self, url: str) -> None:
        self.call("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression: str):
        """The value of a script in the page (awaited when it is a promise), as JSON-like Python."""
        result = self.call("script.evaluate", {"expression": expression, "target": {"context": self.context},
                                               "awaitPromise": True, "resultOwnership": "none"})
        if result.get("type") == "exception":
            raise BiDiError(f"script threw: {result['exceptionDetails'].get('text')}")
        return _value(result["result"])

    def type_keys(self, text: str) -> None:
        """Types `text` with the keyboard into whatever has focus (WebDriver key codes such as ENTER included)."""
        steps = []
        for char in text:
            steps += [{"type": "keyDown", "value": char}, {"type": "keyUp", "value": char}]
        self.call("input.performActions", {"context": self.context,
                                           "actions": [{"type": "key", "id": "keyboard", "actions": steps}]})

    def wait_for(self, expression: str, timeout: float = 10.0) -> bool:
        """Polls a script until it is truthy, or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            if self.evaluate(expression):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)

    def problems(self) -> list[str]:
        """The page's console errors and warnings, and its uncaught exceptions, so far."""
        return [f"{e.get('level')}: {e.get('text')}" for e in self.entries if e.get("level") in ("error", "warn")]

    def screenshot(self, path: str) -> None:
        data = self.call("browsingContext.captureScreenshot", {"context": self.context})["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("session.end", {})
        except Exception:  # noqa: BLE001 (closing anyway)
            pass
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def _value(remote: dict):
    """A BiDi RemoteValue as Python: primitives, arrays and plain objects."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        return value if not isinstance(value, str) else float(value.replace("Infinity", "inf"))
    if kind == "array":
        return [_value(v) for v in remote.get("value", [])]
    if kind == "object":
        return {k if isinstance(k, str) else str(_value(k)): _value(v) for k, v in remote.get("value", [])}
    return kind
