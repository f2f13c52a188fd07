"""A check's findings as a short table: what was expected, what was seen, pass, FAIL or warn."""

from __future__ import annotations

import time
import traceback


class Report:
    def __init__(self, title: str):
        self.title = title
        self.rows: list[tuple[str, str, str, str]] = []
        self.notes: list[str] = []
        self.began = time.monotonic()
        self.at: list[float] = []  # seconds from the report's start to each row

    def expect(self, name: str, expected, actual, ok: bool | None = None) -> bool:
        """A row that passes when `ok` (default: expected == actual)."""
        if ok is None:
            ok = expected == actual
        self._row(name, str(expected), str(actual), "pass" if ok else "FAIL")
        return ok

    def warn(self, name: str, expected, actual, ok: bool) -> None:
        """A row that is reported but does not fail the check."""
        self._row(name, str(expected), str(actual), "pass" if ok else "warn")

    def info(self, name: str, actual) -> None:
        self._row(name, "", str(actual), "")

    def _row(self, *row: str) -> None:
        self.rows.append(row)
        self.at.append(time.monotonic() - self.began)

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def failed(self) -> bool:
        return any(row[3] == "FAIL" for row in self.rows)

    def render(self) -> str:
        header = ("check", "expected", "seen", "")
        rows = [header] + self.rows
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [f"== {self.title}: {'FAILED' if self.failed else 'passed'}"]
        for n, row in enumerate(rows):
            lines.append("  " + "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        lines += ["  " + note for note in self.notes]
        return "\n".join(lines)

    def render_failures(self) -> str:
        """The title, the rows that failed (each with when it was recorded) and the notes: a failure's summary."""
        lines = [f"== {self.title}: FAILED"]
        lines += [f"  {name}: expected {expected}, seen {seen} (at {at:.1f} s)"
                  for (name, expected, seen, verdict), at in zip(self.rows, self.at) if verdict == "FAIL"]
        lines += ["  " + note for note in self.notes]
        return "\n".join(lines)



def run_checks(script: str, checks: dict, selected: str, servers: list, cleanup) -> int:
    """Runs the check named `selected` (or every one for `all`) and returns the exit status.

    `checks` maps names to functions that return a Report. Each report is printed as its check
    ends; a check that raises has failed, with the traceback; a check that failed shows the tail of
    the log of each server in `servers` (SluiceProcess) that was started. The failed ones are shown
    again before the last line (with when each failed row was recorded). `cleanup(failed)` runs at
    the end, even when interrupted; the last line says how many passed.
    """
    names = list(checks) if selected == "all" else [selected]
    reports: list[Report] = []
    try:
        for name in names:
            began = time.monotonic()
            try:
                report = checks[name]()
            except Exception as error:  # a check that could not run has failed
                report = Report(name)
                report.expect("ran to the end", "yes", f"no: {type(error).__name__}: {error}")
                report.note(traceback.format_exc().rstrip())
            if report.failed:
                for server in servers:
                    if server.proc and server.log_path:
                        report.note(f"{server.log_path}:\n{server.log_tail(10)}")
            report.info("seconds", f"{time.monotonic() - began:.1f}")
            print(report.render(), flush=True)
            reports.append(report)
    finally:
        cleanup(any(r.failed for r in reports))
    passed = sum(not r.failed for r in reports)
    failed = [r for r in reports if r.failed]
    if failed:
        # Again at the end, where a log cut to its tail (a CI summary) still shows them.
        print(f"\n{script}: what failed", flush=True)
        for report in failed:
            print(report.render_failures(), flush=True)
    print(f"{script}: {passed} passed, {len(reports) - passed} failed", flush=True)
    return 1 if len(reports) > passed else 0
