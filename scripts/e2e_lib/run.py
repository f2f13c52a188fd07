"""What every check of one e2e script shares: options, the binary, a token, the servers it started
and the work folders to remove, or keep when a check failed."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile

from .sluice import SluiceProcess, default_binary


class ScriptRun:
    def __init__(self, script: str, args, cfg: dict):
        self.script = script
        self.args = args  # needs .bin and .keep
        self.cfg = cfg
        self.binary = args.bin or default_binary()
        self.workdirs: list[str] = []
        self.servers: list[SluiceProcess] = []
        self.token = "e2e-" + secrets.token_hex(16)

    def workdir(self, name: str) -> str:
        path = tempfile.mkdtemp(prefix=f"sluice-e2e-{self.script}-{name}.")
        self.workdirs.append(path)
        return path

    def server(self, workdir: str, database: str | None = None, extra_args: tuple[str, ...] = (), log_name: str | None = None) -> SluiceProcess:
        """A server on `workdir` (its SQLite file, or `database`), started; it is killed at cleanup."""
        server = SluiceProcess(self.binary, workdir, self.token, database=database, extra_args=extra_args,
                               log_name=log_name or f"server-{len(self.servers)}.log")
        self.servers.append(server)
        server.start()
        return server

    def sluice(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=120, env=env)

    def cleanup(self, failed: bool) -> None:
        for server in self.servers:
            server.kill9()
        if failed or self.args.keep:
            for workdir in self.workdirs:
                print(f"e2e_{self.script}: kept {workdir}", file=sys.stderr, flush=True)
        else:
            for workdir in self.workdirs:
                shutil.rmtree(workdir, ignore_errors=True)
