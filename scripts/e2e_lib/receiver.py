"""A webhook receiver on 127.0.0.1 (port 0) that answers each event by its `properties.fate` and logs every request."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What the receiver answers, by the event's properties.fate:
#   ok           200
#   fail-once    500 the first time that messageId arrives, 200 after
#   reject       400 always (Sluice must discard it, never send it again)
#   fail-always  503 always (Sluice retries until the retry window closes: expired)
#   anything else, or no fate: 200
# While `outage` is set (a status, with `retry_after` as its Retry-After header if given), every request gets that instead.
FATES = ("ok", "fail-once", "reject", "fail-always")


@dataclass
class Hit:
    """One request the receiver got."""

    at: float  # time.monotonic()
    path: str
    header_message_id: str | None
    body_message_id: str | None
    type: str | None
    fate: str | None
    status: int  # what the receiver answered
    signature_ok: bool
    body_ok: bool  # the body was a JSON object
    complete: bool = True  # the whole body arrived (a sender killed mid-request leaves a part)


class Receiver:
    """Runs in a daemon thread; `hits` is the log, read it with `snapshot()`."""

    def __init__(self, shared_secret: str | None):
        self.shared_secret = shared_secret
        self.lock = threading.Lock()
        self.hits: list[Hit] = []
        self.seen: dict[str, int] = {}  # messageId -> requests so far
        self.outage: int | None = None  # answer every request with this status while set
        self.retry_after: str | None = None  # the Retry-After header of an outage's answers
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Sluice's client expects

            def do_POST(self):
                receiver._handle(self)

            do_PUT = do_POST
            do_PATCH = do_POST

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # socketserver's default listen backlog is 5: Sluice opens up to 32 connections at once, and on a busy
            # machine a SYN dropped twice from a full accept queue outlasts its 5 s connect timeout (a retry the
            # receiver never saw). A real server listens with a deep backlog.
            request_queue_size = 1024

            def handle_error(self, request, client_address):
                pass  # a connection that Sluice dropped (killed with SIGKILL, say) is no finding of the receiver

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> tuple[bytes, bool]:
        """The body, and whether all of it arrived."""
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = handler.rfile.readline()
                if not line:
                    return b"".join(chunks), False
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks), True
                chunk = handler.rfile.read(size)
                chunks.append(chunk)
                if len(chunk) < size:
                    return b"".join(chunks), False
                handler.rfile.readline()
        expected = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(expected)
        return body, len(body) == expected

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body, complete = self._read_body(handler)
        header_id = handler.headers.get("X-Segment-Message-Id")
        signature = handler.headers.get("X-Signature")
        if self.shared_secret:
            expected = hmac.new(self.shared_secret.encode(), body, hashlib.sha1).hexdigest()
            signature_ok = signature is not None and hmac.compare_digest(signature.lower(), expected)
        else:
            signature_ok = signature is None
        try:
            event = json.loads(body)
            body_ok = isinstance(event, dict)
        except ValueError:
            event, body_ok = None, False
        if not body_ok:
            event = {}
        properties = event.get("properties") if isinstance(event.get("properties"), dict) else {}
        fate = properties.get("fate")
        key = header_id or event.get("messageId") or ""
        with self.lock:
            count = self.seen.get(key, 0) + 1
            self.seen[key] = count
            retry_after = None
            if self.outage is not None:
                status, retry_after = self.outage, self.retry_after
            elif not body_ok:
                status = 400
            elif fate == "fail-once":
                status = 500 if count == 1 else 200
            elif fate == "reject":
                status = 400
            elif fate == "reject-once":
                status = 400 if count == 1 else 200
            elif fate == "fail-always":
                status = 503
            else:
                status = 200
            self.hits.append(Hit(
                at=time.monotonic(), path=handler.path, header_message_id=header_id, body_message_id=event.get("messageId"),
                type=event.get("type"), fate=fate, status=status, signature_ok=signature_ok, body_ok=body_ok,
                complete=complete))
        reply = b'{"ok":true}' if status == 200 else b'{"error":"e2e receiver says no"}'
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        if retry_after is not None:
            handler.send_header("Retry-After", retry_after)
        handler.send_header("Content-Length", str(len(reply)))
        handler.end_headers()
        handler.wfile.write(reply)
