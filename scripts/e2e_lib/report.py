"""A check's findings as a short table: what was expected, what was seen, pass, FAIL or warn."""

from __future__ import annotations


class Report:
    def __init__(self, title: str):
        self.title = title
        self.rows: list[tuple[str, str, str, str]] = []
        self.notes: list[str] = []

    def expect(self, name: str, expected, actual, ok: bool | None = None) -> bool:
        """A row that passes when `ok` (default: expected == actual)."""
        if ok is None:
            ok = expected == actual
        self.rows.append((name, str(expected), str(actual), "pass" if ok else "FAIL"))
        return ok

    def warn(self, name: str, expected, actual, ok: bool) -> None:
        """A row that is reported but does not fail the check."""
        self.rows.append((name, str(expected), str(actual), "pass" if ok else "warn"))

    def info(self, name: str, actual) -> None:
        self.rows.append((name, "", str(actual), ""))

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
