#!/usr/bin/env python3
"""Secrets at rest, against a real `sluice serve` (issue 19; SECURITY.md).

    scripts/e2e_secrets.py [--mode short|long] [--check at-rest|refusals|rotation|all] [--bin PATH] [--keep]

  at-rest    A server on a new SQLite store creates its key beside it (`sluice.sqlite.key`, mode 0600)
             and says so in its log. Destinations (Amplitude apiKey, Webhooks sharedSecret) and a
             subscription (LiveRamp's PASSWORD field sftp_password) are created with known secrets
             through the API: answers show them masked, and no piece of 10 characters of any of
             them is in the store file or its -wal, while the server runs and after it stopped.
  refusals   The stopped store, started with a wrong key (--secret-key-file, SLUICE_SECRET_KEY) or
             without its key file, exits 1 saying why, and its files (store, -wal, key) are
             byte for byte as they were; with its key it starts again.
  rotation   A server delivers events to a local webhook receiver (signed with the destination's
             sharedSecret, which the worker reads from the store) while `sluice secrets rotate-key`
             runs twice, from another process. Every event acknowledged is delivered with a good
             signature and a 200, none is refused, retried or failed, and the server logs no
             warning. The key file then lists the new key first; after a restart on it, the new
             key alone opens the store and the old one alone is refused.

Each check works in a throw-away folder, on 127.0.0.1 only. Exits 1 when any check fails. Needs
only the Python standard library.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import secrets
import stat
import sys
import threading
import time
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.run import ScriptRun  # noqa: E402
from e2e_lib.sluice import WEBHOOKS_ACTIONS, PublicAPI  # noqa: E402

AMPLITUDE = "54521fd525e721e32a72ee91"
LIVERAMP = "644ad6c6c4a87a3290450602"
LIVERAMP_SFTP = "2Xg7PHV6kQDWdS8j2da66P"
MASK = "\u2022" * 10
# load: seconds of events before, between and after the rotations; events a batch.
MODES = {
    "short": dict(before=1.0, between=1.0, after=1.0, batch=5, deliver_timeout=30.0),
    "long": dict(before=5.0, between=5.0, after=5.0, batch=20, deliver_timeout=60.0),
}


class Run(ScriptRun):
    """What every check shares (e2e_lib.run)."""

    def __init__(self, args):
        super().__init__("secrets", args, MODES[args.mode])


def known_secrets() -> dict[str, str]:
    return {name: prefix + secrets.token_hex(10) + tail for name, prefix, tail in (
        ("apiKey", "AKE2E", "dada"), ("sharedSecret", "SHE2E", "beef"), ("sftp_password", "PWE2E", "cafe"))}


def pieces(values) -> list[str]:
    """Every piece of 10 characters (every 5th start) of every value, and each whole."""
    return [v[i:i + 10] for v in values for i in range(0, len(v) - 10, 5)] + list(values)


def leaks(values, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.exists(path):
            data = open(path, "rb").read()
            found += [f"{os.path.basename(path)}: {p}" for p in pieces(values) if p.encode() in data]
    return found


def digest(paths: list[str]) -> dict[str, str | None]:
    return {os.path.basename(p): hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.exists(p) else None for p in paths}


def create_with_secrets(api: PublicAPI, values: dict[str, str]) -> list[str]:
    """Creates the destinations and the subscription; returns the bodies of the answers."""
    source_id = api.create_source("sec-" + secrets.token_hex(3))[0]
    answers = [api.request("POST", "/destinations", {"sourceId": source_id, "metadataId": AMPLITUDE, "settings": {"apiKey": values["apiKey"]}})]
    answers.append(api.request("POST", "/destinations", {
        "sourceId": source_id, "metadataId": WEBHOOKS_ACTIONS, "settings": {"sharedSecret": values["sharedSecret"]}}))
    live = api.request("POST", "/destinations", {"sourceId": source_id, "metadataId": LIVERAMP, "settings": {}})
    answers.append(live)
    answers.append(api.request("POST", f"/destinations/{live['data']['destination']['id']}/subscriptions", {
        "name": "sftp", "actionId": LIVERAMP_SFTP, "trigger": 'type = "identify"', "enabled": True,
        "settings": {"audience_key": "k", "delimiter": ",", "filename": "f.csv", "sftp_password": values["sftp_password"]}}))
    answers.append(api.request("GET", "/destinations?pagination.count=50"))
    return [str(a) for a in answers]


# MARK: - Checks


def check_at_rest(run: Run) -> Report:
    report = Report("secrets at rest in a SQLite store")
    work = run.workdir("at-rest")
    server = run.server(work)
    store = server.database
    key = store + ".key"
    report.expect("the key file is created beside the store, mode", "0o600", oct(stat.S_IMODE(os.stat(key).st_mode)) if os.path.exists(key) else None)
    report.expect("the log says where the key is", True, key in open(server.log_path, errors="replace").read())
    values = known_secrets()
    answers = "".join(create_with_secrets(PublicAPI(server.base_url, run.token), values))
    report.expect("answers show no secret", [], [v for v in values.values() if v in answers])
    report.expect("answers show them masked", True, (MASK + "dada") in answers)
    report.expect("no piece of a secret in the store or its -wal while serving", [], leaks(values.values(), [store, store + "-wal"]))
    report.expect("the server stops", True, server.stop())
    report.expect("no piece of a secret in the store files after it stopped", [], leaks(values.values(), [store, store + "-wal", store + "-shm"]))
    return report


def check_refusals(run: Run) -> Report:
    report = Report("a start without the store's key, or with a wrong one")
    work = run.workdir("refusals")
    server = run.server(work)
    create_with_secrets(PublicAPI(server.base_url, run.token), known_secrets())
    server.kill9()  # leaves the -wal as it is, the hardest case for "changes nothing"
    store = server.database
    files = [store, store + "-wal", store + ".key"]
    before = digest(files)
    wrong = os.path.join(work, "wrong.key")
    with open(wrong, "w") as f:
        f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    env_wrong = dict(os.environ, SLUICE_SECRET_KEY=base64.b64encode(os.urandom(32)).decode())
    cases = [
        ("a wrong --secret-key-file", ["--secret-key-file", wrong], None, "is not it"),
        ("a wrong SLUICE_SECRET_KEY", [], env_wrong, "is not it"),
    ]
    for name, extra, env, reason in cases:
        result = run.sluice("serve", "--port", "0", "--database", f"sqlite:{store}", *extra, env=env)
        report.expect(f"{name}: exit 1, stderr says", reason, f"{result.returncode}: {result.stderr.strip()[:150]}",
                      result.returncode == 1 and reason in result.stderr)
        report.expect(f"{name}: the store's files are unchanged", before, digest(files))
    os.rename(store + ".key", os.path.join(work, "moved.key"))
    without = digest(files)
    result = run.sluice("serve", "--port", "0", "--database", f"sqlite:{store}")
    report.expect("no key file: exit 1, stderr says", "does not exist", f"{result.returncode}: {result.stderr.strip()[:150]}",
                  result.returncode == 1 and "does not exist" in result.stderr)
    report.expect("no key file: the files are unchanged, no key created", without, digest(files))
    os.rename(os.path.join(work, "moved.key"), store + ".key")
    server.start()
    report.expect("with its key it starts and serves the destinations", 3,
                  len(PublicAPI(server.base_url, run.token).request("GET", "/destinations?pagination.count=50")["data"]["destinations"]))
    return report


class Events:
    """A thread that sends batches with the write key until stopped; records the acknowledged messageIds."""

    def __init__(self, api: PublicAPI, write_key: str, batch: int):
        self.api, self.write_key, self.batch = api, write_key, batch
        self.acked: list[str] = []
        self.refused = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            ids = [f"rot-{i}-{k}" for k in range(self.batch)]
            status = self.api.post_batch(self.write_key, [
                {"type": "track", "userId": "u", "event": "Rotation", "messageId": m, "properties": {"fate": "ok"}} for m in ids])
            if status == 200:
                self.acked += ids
            else:
                self.refused += 1
            time.sleep(0.02)


def check_rotation(run: Run) -> Report:
    report = Report("key rotation while events are delivered")
    cfg = run.cfg
    work = run.workdir("rotation")
    shared_secret = "SHROT" + secrets.token_hex(12)
    receiver = Receiver(shared_secret=shared_secret).start()
    try:
        server = run.server(work)
        api = PublicAPI(server.base_url, run.token)
        source_id, write_key = api.create_source("rotation")
        api.create_webhook(source_id, receiver.url, shared_secret)
        store = server.database
        old_key = open(store + ".key").read().split()[0]
        events = Events(api, write_key, cfg["batch"])
        events.thread.start()
        time.sleep(cfg["before"])
        rotations = []
        for n in (1, 2):
            result = run.sluice("secrets", "rotate-key", "--new-key-file", os.path.join(work, f"new-{n}.key"), "--database", f"sqlite:{store}")
            rotations.append(result)
            report.expect(f"rotate-key {n} exits 0", 0, f"{result.returncode} {result.stderr.strip()[:200]}", result.returncode == 0)
            time.sleep(cfg["between"] if n == 1 else cfg["after"])
        events.stop.set()
        events.thread.join(30)
        acked = set(events.acked)
        deadline = time.monotonic() + cfg["deliver_timeout"]
        while time.monotonic() < deadline:
            delivered = {h.header_message_id or h.body_message_id for h in receiver.snapshot()}
            if acked <= delivered:
                break
            time.sleep(0.2)
        hits = receiver.snapshot()
        delivered = {h.header_message_id or h.body_message_id for h in hits}
        report.info("events acknowledged", len(acked))
        report.expect("events refused by the Tracking API", 0, events.refused)
        report.expect("every acknowledged event delivered", 0, len(acked - delivered))
        report.expect("deliveries signed with the shared secret", len(hits), sum(h.signature_ok for h in hits))
        report.expect("deliveries answered other than 200 (none: no failed attempt)", 0, sum(h.status != 200 for h in hits))
        report.expect("events delivered more than once (none: no retry)", 0, len(hits) - len(delivered))
        server_log = open(server.log_path, errors="replace").read()
        report.expect("server log lines at warning or above", [], [line for line in server_log.splitlines()
                                                                    if " warning " in line or " error " in line or " critical " in line][:5])
        keys = open(store + ".key").read().split()
        new_key = open(os.path.join(work, "new-2.key")).read().split()[0]
        report.expect("the key file lists the newest key first, the old ones after", [new_key, old_key], [keys[0], keys[-1]])
        report.expect("the server stops", True, server.stop())
        server.start()  # on the rewritten key file: reseals whatever the running server sealed under an older key
        report.expect("restarted on its key file, it serves the destination", 1,
                      len(PublicAPI(server.base_url, run.token).request("GET", "/destinations?pagination.count=50")["data"]["destinations"]))
        server.stop()
        with open(os.path.join(work, "only-old.key"), "w") as f:
            f.write(old_key + "\n")
        old = run.sluice("serve", "--port", "0", "--database", f"sqlite:{store}", "--secret-key-file", os.path.join(work, "only-old.key"))
        report.expect("the old key alone is refused", 1, old.returncode)
        alone = run.server(work, extra_args=("--secret-key-file", os.path.join(work, "new-2.key")), log_name="server-new-key.log")
        report.expect("the new key alone opens the store", True, alone.stop())
        report.expect("no piece of the shared secret in the store files", [], leaks([shared_secret], [store, store + "-wal"]))
    finally:
        receiver.close()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument("--check", choices=("at-rest", "refusals", "rotation", "all"), default="all")
    parser.add_argument("--bin", help="the sluice binary (default $SLUICE_BIN, else the debug build)")
    parser.add_argument("--keep", action="store_true", help="keep the work folders even on success")
    args = parser.parse_args()
    run = Run(args)
    checks = {"at-rest": check_at_rest, "refusals": check_refusals, "rotation": check_rotation}
    return run_checks("e2e_secrets", {name: partial(check, run) for name, check in checks.items()}, args.check, run.servers, run.cleanup)


if __name__ == "__main__":
    sys.exit(main())
