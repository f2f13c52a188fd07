#!/usr/bin/env python3
"""Checks that Sluice builds SQL only with bound parameters (issue #9, SECURITY.md).

    scripts/check-sql.py [ROOT]

Scans every Swift file under Sources/ for the places where text is spliced into SQL unbound:

  - GRDB's raw-SQL arguments (`sql:`, `SQL(sql:`) and PostgresNIO's `unsafeSQL:` whose string
    literal interpolates anything (`\\(...)`): an interpolated value there is pasted into the
    statement, not bound;
  - SQL built with `+` or `+=` on strings, or with String(format:).

GRDB's `literal:` and `SQL` literals, and PostgresNIO's `PostgresQuery` string interpolation,
bind what they interpolate, so they are fine. Each place that must splice text (an identifier, which SQL cannot
bind, or one of two constants) is listed in ALLOWED below with the reason it is safe; anything
else found is printed with its file and line, and the exit status is 1.
"""

from __future__ import annotations

import os
import re
import sys

# (file suffix, text on the line, why it is safe)
ALLOWED = [
    ("Sources/SluiceSQLite/SQLiteStore.swift", 'PRAGMA synchronous = \\(rawValue)',
     "one of three constants (the raw values of SQLiteStore.Synchronous)"),
    ("Sources/SluicePostgres/PostgresMigrations.swift", "CREATE SCHEMA IF NOT EXISTS \\(schema)",
     "an identifier (cannot be bound), checked to be letters, digits and underscores just before"),
    ("Sources/SluicePostgres/PostgresMigrations.swift", "DROP SCHEMA IF EXISTS \\(schema) CASCADE",
     "an identifier (cannot be bound), the store's own schema, checked to be letters, digits and underscores at open"),
    ("Sources/SluiceSQLite/SQLiteStore.swift", '"WHERE " + conditions.joined(separator: " AND ")',
     "GRDB SQL values joined with SQL's +: each condition is an SQL literal that binds its value"),
    ("Sources/SluicePostgres/PostgresStore.swift", "WHERE \\(conditions)",
     "a constant text with $1..$4 placeholders; the values are bound (PostgresBindings)"),
]

RAW_ARGUMENT = re.compile(r'(?:\bsql:|\bunsafeSQL:|\bSQL\(sql:)\s*("""|")')
STRING_BUILT = re.compile(
    r'\b(?:sql|query|statement|where)\w*\s*(?::\s*\w+\s*)?(?:\+=|=\s*.*"\s*\+)|String\(format:\s*"[^"]*\b(?:SELECT|INSERT|UPDATE|DELETE)\b',
    re.IGNORECASE)


def literal_at(text: str, start: int, quote: str) -> tuple[str, int]:
    """The string literal that opens at `start` with `quote`; its text and its end offset."""
    if quote == '"""':
        end = text.find('"""', start + 3)
        return text[start + 3:end], end + 3
    # A one-line literal: the rest of the line (an interpolation may hold quotes of its own).
    end = text.find("\n", start)
    return text[start + 1:end], end


def allowed(path: str, line: str) -> bool:
    return any(path.endswith(suffix) and snippet in line for suffix, snippet, _ in ALLOWED)


def scan(root: str) -> list[str]:
    problems = []
    for folder, _, files in os.walk(os.path.join(root, "Sources")):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for pattern, what in ((RAW_ARGUMENT, "raw SQL with interpolation"),):
                for match in pattern.finditer(text):
                    body, _ = literal_at(text, match.start(1), match.group(1))
                    if "\\(" not in body:
                        continue
                    for offset, line in enumerate(body.splitlines() or [body]):
                        if "\\(" in line and not allowed(relative, line):
                            number = text.count("\n", 0, match.start(1)) + 1 + offset
                            problems.append(f"{relative}:{number}: {what}: {line.strip()}")
            for number, line in enumerate(text.splitlines(), 1):
                stripped = line.strip()
                if stripped.startswith("//") or stripped.startswith("///"):
                    continue
                if STRING_BUILT.search(line) and re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|FROM)\b", line) and not allowed(relative, line):
                    problems.append(f"{relative}:{number}: SQL built from strings: {stripped}")
    return problems


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    problems = scan(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-sql: {len(problems)} place(s) splice text into SQL unbound; bind the values, or add the place to ALLOWED with the reason it is safe")
        return 1
    print(f"check-sql: SQL is built with bound parameters only ({len(ALLOWED)} reviewed exceptions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
