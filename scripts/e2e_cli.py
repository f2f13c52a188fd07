#!/usr/bin/env python3
"""The evaluation commands through the binary, as a person debugging a trigger or a mapping runs them.

    scripts/e2e_cli.py [--bin PATH]

`sluice fql eval 'TRIGGER' [--event FILE]` prints true or false (Segment's evaluator's answer) and
exits 2 on a trigger or event it cannot read; `sluice mapping eval 'MAPPING' [--event FILE]` prints
the resolved JSON, nothing when the mapping resolves to nothing, and exits 2 with the place of the
problem when the mapping is invalid. The event comes from --event or standard input. A few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.report import Report  # noqa: E402

EVENT = {"type": "identify", "userId": "u1", "traits": {"plan": "pro", "logins": 3},
         "properties": {"items": [{"sku": "a"}, {"sku": "b"}]}}


def run(binary: str, args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    done = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("SLUICE_BIN", ".build/debug/sluice"))
    args = parser.parse_args()
    report = Report("sluice fql eval, sluice mapping eval, and the breaker flags of sluice serve")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(EVENT, f)
        event_file = f.name
    event = json.dumps(EVENT)
    b = args.bin

    # Triggers: Segment's reading (traits.… reads event.traits, properties.… event.properties, for every type)
    report.expect("traits of an identify", (0, "true"), run(b, ["fql", "eval", 'traits.plan = "pro"', "--event", event_file])[:2])
    report.expect("properties are not traits", (0, "false"), run(b, ["fql", "eval", 'properties.plan = "pro"'], event)[:2])
    report.expect("a number compares as a number", (0, "true"), run(b, ["fql", "eval", "traits.logins >= 3"], event)[:2])
    code, out, err = run(b, ["fql", "eval", 'type = "page" OR type = "identify"'], event)
    report.expect("an upper-case keyword: Segment's answer, and a note", (0, "false", True), (code, out, '"OR" is a name' in err))
    code, _, err = run(b, ["fql", "eval", "type ="], event)
    report.expect("an invalid trigger: exit 2, the place named", (2, True), (code, "character" in err))
    report.expect("an event that is not JSON: exit 2", 2, run(b, ["fql", "eval", 'type = "track"'], "{nope")[0])

    # Mappings
    code, out, _ = run(b, ["mapping", "eval", '{"plan": {"@path": "$.traits.plan"}, "hi": {"@template": "hi {{userId}}"}}', "--event", event_file])
    report.expect("a mapping resolves", (0, {"plan": "pro", "hi": "hi u1"}), (code, json.loads(out) if out else None))
    code, out, _ = run(b, ["mapping", "eval", '{"@arrayPath": ["$.properties.items", {"id": {"@path": "$.sku"}}]}'], event)
    report.expect("@arrayPath through standard input", (0, [{"id": "a"}, {"id": "b"}]), (code, json.loads(out) if out else None))
    code, out, _ = run(b, ["mapping", "eval", '{"@case": {"operator": "upper", "value": {"@path": "$.traits.plan"}}}'], event)
    report.expect("a Segment directive with options (@case)", (0, "PRO"), (code, json.loads(out) if out else None))
    code, _, err = run(b, ["mapping", "eval", '{"x": {"@liquid": "{{userId}}"}}'], event)
    report.expect("@liquid is refused by name", (2, True), (code, "does not support" in err))
    code, out, err = run(b, ["mapping", "eval", '{"@path": "$.missing"}'], event)
    report.expect("nothing to resolve: exit 0, nothing printed", (0, "", True), (code, out, "nothing" in err))
    code, _, err = run(b, ["mapping", "eval", '{"x": {"@path": 3}}'], event)
    report.expect("an invalid mapping: exit 2, the place named", (2, True), (code, "mapping.x" in err))
    report.expect("a mapping that is not JSON: exit 2", 2, run(b, ["mapping", "eval", '{"x":'], event)[0])

    # The breaker's and back-pressure's flags: a wrong value is a usage error (64) naming the flag, before anything starts
    for flag, value, words in (("--failing-after", "nope", "failing-after must be"), ("--failing-after", "0s", "failing-after must be"),
                               ("--probe-interval", "10ms", "probe-interval must be"),
                               ("--max-routing-backlog", "0", "max-routing-backlog must be"),
                               ("--max-routing-backlog", "many", "max-routing-backlog must be")):
        code, _, err = run(b, ["serve", "--database", "memory", "--port", "0", flag, value])
        report.expect(f"serve {flag} {value}: exit 64, the flag named", (64, True), (code, words in err))
    os.unlink(event_file)
    print(report.render())
    print(f"e2e_cli: {0 if report.failed else 1} passed, {1 if report.failed else 0} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
