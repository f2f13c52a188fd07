#!/usr/bin/env python3
"""Backup and restore of a SQLite store, against a real `sluice serve` (issue 19; docs/backup.md).

    scripts/e2e_backup.py [--mode short|long] [--check under-load|in-use|refusals|postgres|all] [--bin PATH]
                          [--postgres URL] [--keep]

  under-load  A server takes Public API writes (sources and destinations created) and /v1/batch
              ingest from several threads while `sluice backup` copies its store. The backup is
              restored into a new path with `sluice restore`; the restored store passes
              PRAGMA integrity_check and foreign_key_check, and a server started on it has every
              source and destination whose creation was acknowledged before the backup began. Every
              event acknowledged before then is in the restored store (waiting to be routed, or as a
              delivery job: the destination's receiver refuses every event with 503, so none is
              delivered and removed). The backup file and the restored store have mode 0600.
  in-use      A backup of a store whose server was killed with SIGKILL holds the write still in
              the -wal file. `sluice restore` of it over the store of a running, idle server exits 1
              naming the store as in use, and the server's file is the same file, holding the same
              data, afterwards; once the server has stopped (SIGTERM), the same restore succeeds and
              a server on the store has the backup's data, not the replaced store's.
  refusals    `sluice backup` refuses to replace an existing file and to back up --database memory
              or a postgres:// URL (naming pg_dump); `sluice restore` refuses a file that is not a
              Sluice store. Each exits 1 with its reason on stderr.
  postgres    Only with --postgres URL (default $SLUICE_TEST_POSTGRES; skipped, with a line saying
              so, when its user may not create databases): the procedure of docs/backup.md, once. The same load on a server
              on a new database while `pg_dump --format=custom` runs; `pg_restore --clean
              --if-exists --no-owner` into another new database; a server on it has every source,
              destination and event acknowledged before the dump began. Both databases are dropped.

Each check starts its servers on throw-away SQLite files (or databases), on 127.0.0.1 only. Exits 1 when any
check fails. Needs only the Python standard library.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.receiver import Receiver  # noqa: E402
from e2e_lib.report import Report, run_checks  # noqa: E402
from e2e_lib.run import ScriptRun  # noqa: E402
from e2e_lib.sluice import SOURCE_METADATA, WEBHOOKS_ACTIONS, WEBHOOKS_SEND_ACTION, APIError, PublicAPI, SluiceProcess  # noqa: E402

# load: seconds of load before the backup (warmup) and after it (tail); writer threads of each kind.
MODES = {
    "short": dict(warmup=1.5, tail=0.5, api_writers=1, ingest_writers=2, batch=10),
    "long": dict(warmup=10.0, tail=3.0, api_writers=2, ingest_writers=4, batch=20),
}
STOP_TIMEOUT = 10.0


def log(text: str) -> None:
    print(f"e2e_backup: {text}", file=sys.stderr, flush=True)


class Run(ScriptRun):
    """What every check shares (e2e_lib.run)."""

    def __init__(self, args):
        super().__init__("backup", args, MODES[args.mode])


def mode_of(path: str) -> str:
    return oct(stat.S_IMODE(os.stat(path).st_mode))


def integrity(database: str) -> tuple[str, int]:
    """PRAGMA integrity_check's first row and the number of foreign_key_check rows."""
    connection = sqlite3.connect(database)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0], len(connection.execute("PRAGMA foreign_key_check").fetchall())
    finally:
        connection.close()


def stored_message_ids(database: str) -> set[str]:
    """messageIds the store holds: events not yet routed, and delivery jobs."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("SELECT message_id FROM events UNION SELECT message_id FROM delivery_jobs").fetchall()
        return {row[0] for row in rows}
    finally:
        connection.close()


def listing(api: PublicAPI, path: str, key: str) -> list[dict]:
    """Every item of a paginated list."""
    items, cursor = [], None
    while True:
        query = "pagination.count=200" + (f"&pagination.cursor={cursor}" if cursor else "")
        data = api.request("GET", f"{path}?{query}")["data"]
        items += data[key]
        cursor = data["pagination"].get("next")
        if not cursor:
            return items


# MARK: - Load


class Load:
    """Writer threads; each acknowledged write is recorded with the monotonic time of its answer."""

    def __init__(self, api: PublicAPI, source_id: str, write_key: str, cfg: dict):
        self.api = api
        self.source_id = source_id
        self.write_key = write_key
        self.cfg = cfg
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sources: list[tuple[float, str]] = []  # (acked at, id)
        self.destinations: list[tuple[float, str]] = []
        self.events: list[tuple[float, str]] = []  # (acked at, messageId)
        self.refused = 0  # writes answered with an error status
        self.threads = [threading.Thread(target=self._api_writer, args=(n,), daemon=True) for n in range(cfg["api_writers"])]
        self.threads += [threading.Thread(target=self._ingest_writer, args=(n,), daemon=True) for n in range(cfg["ingest_writers"])]

    def start(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def _api_writer(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                source = self.api.request("POST", "/sources", {"slug": f"bk-{n}-{i}", "enabled": True, "metadataId": SOURCE_METADATA})
                with self.lock:
                    self.sources.append((time.monotonic(), source["data"]["source"]["id"]))
                destination = self.api.request("POST", "/destinations", {
                    "sourceId": self.source_id, "metadataId": WEBHOOKS_ACTIONS, "name": f"bk-{n}-{i}", "enabled": False,
                    "settings": {"sharedSecret": f"secret-{n}-{i}"}})
                with self.lock:
                    self.destinations.append((time.monotonic(), destination["data"]["destination"]["id"]))
            except APIError:
                with self.lock:
                    self.refused += 1

    def _ingest_writer(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            ids = [f"bk-{n}-{i}-{k}" for k in range(self.cfg["batch"])]
            batch = [{"type": "track", "userId": "u", "event": "Backup", "messageId": m, "properties": {"fate": "fail-always"}} for m in ids]
            status = self.api.post_batch(self.write_key, batch)
            now = time.monotonic()
            with self.lock:
                if status == 200:
                    self.events += [(now, m) for m in ids]
                else:
                    self.refused += 1

    def before(self, moment: float) -> dict[str, list[str]]:
        """What was acknowledged before `moment`."""
        with self.lock:
            return {
                "sources": [x for t, x in self.sources if t < moment],
                "destinations": [x for t, x in self.destinations if t < moment],
                "events": [x for t, x in self.events if t < moment],
            }

    def between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(start <= t < end for t, _ in self.sources + self.destinations + self.events)


# MARK: - Checks


def start_load(api: PublicAPI, receiver: Receiver, cfg: dict) -> Load:
    """An ingest source whose Webhooks destination's receiver refuses every event with 503 (so each
    stays in the store as a delivery job), then the writer threads."""
    source_id, write_key = api.create_source("bk-ingest")
    destination = api.request("POST", "/destinations", {
        "sourceId": source_id, "metadataId": WEBHOOKS_ACTIONS, "enabled": True, "name": "bk receiver",
        "settings": {"sharedSecret": "backup-secret"}})["data"]["destination"]
    api.request("POST", f"/destinations/{destination['id']}/subscriptions", {
        "name": "bk send", "actionId": WEBHOOKS_SEND_ACTION, "trigger": 'type = "track"', "enabled": True,
        "settings": {"url": receiver.url, "method": "POST", "enable_batching": False}})
    return Load(api, source_id, write_key, cfg).start()


def backup_under_load(run: Run, report: Report, live: SluiceProcess, receiver: Receiver, command: list[str]):
    """Runs `command` (the backup) while `live` takes the load; returns what was acknowledged before
    it began, or None when it failed. The server is killed afterwards."""
    load = start_load(PublicAPI(live.base_url, run.token), receiver, run.cfg)
    time.sleep(run.cfg["warmup"])
    began = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    ended = time.monotonic()
    time.sleep(run.cfg["tail"])
    load.finish()
    live.kill9()  # the backup is taken; how the server ends does not matter to it
    report.expect(f"{os.path.basename(command[0])} {command[1]} exits 0", 0, result.returncode)
    if result.returncode != 0:
        report.note(f"stderr: {result.stderr.strip()}")
        return None
    acked = load.before(began)
    report.info("backup took (s)", f"{ended - began:.2f}")
    report.info("writes acknowledged during the backup", load.between(began, ended))
    report.info("writes refused (any time)", load.refused)
    report.expect("writes acknowledged before the backup", "> 0",
                  f"{len(acked['sources'])} sources, {len(acked['destinations'])} destinations, {len(acked['events'])} events",
                  all(acked.values()))
    return acked


def expect_restored(report: Report, acked: dict, stored_events: set[str], server: SluiceProcess, token: str) -> None:
    """Every acknowledged event is among `stored_events`, and `server` (on the restored store) has every
    acknowledged source and destination and takes a new write."""
    missing_events = [m for m in acked["events"] if m not in stored_events]
    report.expect("events acknowledged before the backup, missing", 0, len(missing_events))
    if missing_events:
        report.note(f"missing events, first ones: {missing_events[:5]}")
    api = PublicAPI(server.base_url, token)
    sources = {x["id"] for x in listing(api, "/sources", "sources")}
    destinations = {x["id"] for x in listing(api, "/destinations", "destinations")}
    missing_sources = [x for x in acked["sources"] if x not in sources]
    missing_destinations = [x for x in acked["destinations"] if x not in destinations]
    report.expect("sources acknowledged before the backup, missing", 0, len(missing_sources))
    report.expect("destinations acknowledged before the backup, missing", 0, len(missing_destinations))
    if missing_sources or missing_destinations:
        report.note(f"missing: sources {missing_sources[:5]}, destinations {missing_destinations[:5]}")
    new_id, _ = api.create_source("bk-after-restore")
    report.expect("the restored server takes a write", new_id, api.request("GET", f"/sources/{new_id}")["data"]["source"]["id"])


def check_under_load(run: Run) -> Report:
    report = Report("backup under load, restored into a new path")
    receiver = Receiver(shared_secret="backup-secret").start()
    try:
        live = run.server(run.workdir("live"))
        backup = os.path.join(os.path.dirname(live.database), "backup.sqlite")
        acked = backup_under_load(run, report, live, receiver, [run.binary, "backup", "--database", f"sqlite:{live.database}", backup])
        if acked is None:
            return report
        report.expect("backup file mode", "0o600", mode_of(backup))

        restored_dir = run.workdir("restored")
        restored = os.path.join(restored_dir, "sluice.sqlite")
        result = run.sluice("restore", backup, "--database", f"sqlite:{restored}")
        report.expect("sluice restore into a new path exits 0", 0, result.returncode)
        if result.returncode != 0:
            report.note(f"stderr: {result.stderr.strip()}")
            return report
        report.expect("restored store mode", "0o600", mode_of(restored))
        report.expect("integrity_check, foreign_key_check rows", ("ok", 0), integrity(restored))
        # The key is not in the backup (docs/backup.md): a store restored to a new path gets its key file copied beside it.
        shutil.copy2(live.database + ".key", restored + ".key")
        server = run.server(restored_dir)
        expect_restored(report, acked, stored_message_ids(restored), server, run.token)
        server.kill9()
        return report
    finally:
        receiver.close()


def psql(url: str, sql: str) -> list[str]:
    """Runs `sql` with psql on `url`; the rows, one line each."""
    result = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"psql: {result.stderr.strip()}")
    return result.stdout.splitlines()


def check_postgres(run: Run) -> Report:
    """The documented PostgreSQL procedure (docs/backup.md), once: pg_dump under load, pg_restore into a new database."""
    report = Report("PostgreSQL: pg_dump under load, pg_restore into a new database")
    base = run.args.postgres
    parts = urllib.parse.urlsplit(base)
    names = [f"sluice_bk_{name}_{secrets.token_hex(4)}" for name in ("live", "restored")]
    live_url, restored_url = (urllib.parse.urlunsplit(parts._replace(path="/" + name)) for name in names)
    receiver = Receiver(shared_secret="backup-secret").start()
    try:
        try:
            for name in names:
                psql(base, f"CREATE DATABASE {name}")
        except RuntimeError as error:
            if "permission denied" not in str(error):
                raise
            report.info("skipped: the user of --postgres may not create databases", str(error)[:120])
            return report
        workdir = run.workdir("postgres")
        live = run.server(workdir, database=live_url)
        dump = os.path.join(workdir, "sluice.dump")
        acked = backup_under_load(run, report, live, receiver, ["pg_dump", "--format=custom", f"--file={dump}", live_url])
        if acked is None:
            return report
        result = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={restored_url}", dump],
                                capture_output=True, text=True, timeout=120)
        report.expect("pg_restore into a new database exits 0", 0, result.returncode)
        if result.returncode != 0:
            report.note(f"stderr: {result.stderr.strip()[:500]}")
            return report
        stored = set(psql(restored_url, "SELECT message_id FROM events UNION SELECT message_id FROM delivery_jobs"))
        server = run.server(workdir, database=restored_url)
        expect_restored(report, acked, stored, server, run.token)
        server.kill9()
        return report
    finally:
        receiver.close()
        for server in run.servers:
            server.kill9()
        for name in names:
            try:
                psql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except RuntimeError as error:
                log(f"could not drop {name}: {error}")


def check_in_use(run: Run) -> Report:
    report = Report("restore refuses a store in use")
    # A backup to restore: of a store with one source, whose server was killed with SIGKILL (so the
    # source is in the -wal file left behind, not yet in the database file).
    first = run.server(run.workdir("first"))
    source_a, _ = PublicAPI(first.base_url, run.token).create_source("bk-first")
    first.kill9()
    backup = os.path.join(os.path.dirname(first.database), "backup.sqlite")
    result = run.sluice("backup", "--database", f"sqlite:{first.database}", backup)
    report.expect("backup of a store whose server was killed exits 0", 0, result.returncode)

    # A running, idle server on another store.
    server = run.server(run.workdir("busy"))
    api = PublicAPI(server.base_url, run.token)
    source_b, _ = api.create_source("bk-busy")
    time.sleep(0.3)  # idle: no write in flight while restore looks
    inode = os.stat(server.database).st_ino
    result = run.sluice("restore", backup, "--database", f"sqlite:{server.database}")
    report.expect("restore over the running server's store exits 1", 1, result.returncode)
    report.expect("stderr names the store as in use", "in use", result.stderr.strip()[:200], "in use" in result.stderr)
    report.expect("the store is the same file", inode, os.stat(server.database).st_ino)
    report.expect("the server still has its source", source_b, api.request("GET", f"/sources/{source_b}")["data"]["source"]["id"])
    leftovers = sorted(f for f in os.listdir(os.path.dirname(server.database)) if ".tmp-" in f)
    report.expect("temporary files left", [], leftovers)

    server.stop(STOP_TIMEOUT)
    result = run.sluice("restore", backup, "--database", f"sqlite:{server.database}")
    report.expect("the same restore once the server stopped (SIGTERM) exits 0", 0, result.returncode)
    if result.returncode != 0:
        report.note(f"stderr: {result.stderr.strip()}")
        return report
    # The backup is another store's, so its secrets are under that store's key (docs/backup.md): it goes with it.
    shutil.copy2(first.database + ".key", server.database + ".key")
    again = run.server(os.path.dirname(server.database))
    api = PublicAPI(again.base_url, run.token)
    report.expect("the restored store has the backup's source", source_a, api.request("GET", f"/sources/{source_a}")["data"]["source"]["id"])
    try:
        api.request("GET", f"/sources/{source_b}")
        gone = "present"
    except APIError as error:
        gone = error.status
    report.expect("and not the replaced store's", 404, gone)
    again.kill9()
    return report


def check_refusals(run: Run) -> Report:
    report = Report("backup and restore refusals")
    work = run.workdir("refusals")
    store = os.path.join(work, "sluice.sqlite")
    token = run.sluice("token", "create", "--database", f"sqlite:{store}")
    report.expect("a store to work on (token create) exits 0", 0, token.returncode)
    existing = os.path.join(work, "existing.sqlite")
    with open(existing, "w") as f:
        f.write("keep me")
    garbage = os.path.join(work, "garbage.sqlite")
    with open(garbage, "w") as f:
        f.write("this is not a SQLite database, though it is long enough to have a header")
    cases = [
        ("backup over an existing file", ["backup", "--database", f"sqlite:{store}", existing], "exists already"),
        ("backup of --database memory", ["backup", "--database", "memory", os.path.join(work, "m.sqlite")], "nothing to back up"),
        ("backup of PostgreSQL", ["backup", "--database", "postgres://u:p@127.0.0.1:1/db", os.path.join(work, "p.sqlite")], "pg_dump"),
        ("restore into PostgreSQL", ["restore", existing, "--database", "postgres://u:p@127.0.0.1:1/db"], "pg_restore"),
        ("restore of a file that is not a store", ["restore", garbage, "--database", f"sqlite:{store}"], "not a sound SQLite database"),
        ("restore of a missing file", ["restore", os.path.join(work, "none.sqlite"), "--database", f"sqlite:{store}"], "does not exist"),
    ]
    for name, args, reason in cases:
        result = run.sluice(*args)
        ok = result.returncode == 1 and reason in result.stderr
        report.expect(f"{name}: exit 1, stderr says", reason, f"{result.returncode}: {result.stderr.strip()[:120]}", ok)
    with open(existing) as f:
        report.expect("the existing file is unchanged", "keep me", f.read())
    report.expect("the store still passes integrity_check", ("ok", 0), integrity(store))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument("--check", choices=("under-load", "in-use", "refusals", "postgres", "all"), default="all")
    parser.add_argument("--bin", help="the sluice binary (default $SLUICE_BIN, else the debug build)")
    parser.add_argument("--keep", action="store_true", help="keep the work folders even on success")
    parser.add_argument("--postgres", default=os.environ.get("SLUICE_TEST_POSTGRES") or None,
                        help="a PostgreSQL URL whose user may create databases (default $SLUICE_TEST_POSTGRES): runs the postgres check")
    args = parser.parse_args()
    if args.check == "postgres" and not args.postgres:
        parser.error("--check postgres needs --postgres URL or SLUICE_TEST_POSTGRES")

    run = Run(args)
    checks = {"under-load": check_under_load, "in-use": check_in_use, "refusals": check_refusals}
    if args.postgres:
        checks["postgres"] = check_postgres
    return run_checks("e2e_backup", {name: partial(check, run) for name, check in checks.items()}, args.check, run.servers, run.cleanup)


if __name__ == "__main__":
    sys.exit(main())
