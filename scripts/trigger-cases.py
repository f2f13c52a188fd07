#!/usr/bin/env python3
"""Generates trigger/event pairs for the differential check of Sluice's trigger evaluator.

    scripts/trigger-cases.py [--count N] [--seed S] > cases.json

Each case is [trigger, event]. The pairs are run through Segment's own evaluator (`parseFql` and
`validate` of @segment/destination-subscriptions, run locally with Node; its code is not part of
this repository) to record Segment's answer; the recorded answers are committed as
Tests/SluiceCoreTests/Fixtures/segment-trigger-cases.json, which FQLSegmentAgreementTests checks
`Trigger.matches` against. docs/fql.md ("Checked against Segment's evaluator") says how.
"""
import argparse
import json
import random

FIELDS = [
    "type", "event", "name", "userId",
    "properties.s", "properties.n", "properties.t", "properties.f", "properties.z", "properties.e",
    "properties.missing", "properties.o.inner", "properties.o.missing.deep", "properties.a", "properties.a.0",
    "properties.a.length", "properties.s.length", "properties.numstr", "properties.truestr", "properties.nullstr",
    "traits.s", "traits.n", "traits.t", "traits.z", "traits.missing", "traits.o.inner",
    "context.s", "context.n", "context.page.path", "context.missing", "context.t",
    "anonymousId", "properties", "context",
]
STRINGS = ['"hello"', '"hello world"', '""', '"12"', '"true"', '"null"', '"track"', '"identify"', '"Order Completed"',
           '"u1"', '"/docs/a"', '"HELLO"', '"1.50"', '"a*b"']
NUMBERS = ["12", "0", "-1.5", "1.50", "100", "1e3", "+3", "12.0", "3"]
LITERALS = STRINGS + NUMBERS + ["true", "false", "null", "TRUE", "Null"]
OPERATORS = ["=", "!=", "<", "<=", ">", ">="]
PATTERNS = ['"hel*"', '"*world"', '"*"', '"hello"', '"h*d"', '"*lo w*"', '"Order*"', '"*ed"', '"/docs/*"', '""']


def condition(rng):
    roll = rng.random()
    field = rng.choice(FIELDS)
    if roll < 0.15:
        return f'{rng.choice(["!", ""])}contains({field}, {rng.choice(STRINGS)})'
    if roll < 0.3:
        return f'{rng.choice(["!", ""])}match({field}, {rng.choice(PATTERNS)})'
    op = rng.choice(OPERATORS)
    value = rng.choice(NUMBERS) if op in ("<", "<=", ">", ">=") else rng.choice(LITERALS)
    space = rng.choice([" ", " ", " ", ""]) if op == "=" else " "
    return f"{field}{space}{op}{space}{value}"


def expression(rng, depth=0):
    count = rng.choice([1, 1, 2, 2, 3])
    joiner = rng.choice(["and", "or", "and", "or", "AND", "Or"])
    parts = []
    for _ in range(count):
        if depth < 2 and rng.random() < 0.25:
            parts.append("(" + expression(rng, depth + 1) + ")")
        else:
            parts.append(condition(rng))
    return f" {joiner} ".join(parts)


def value(rng):
    return rng.choice([
        "hello", "hello world", "", "12", "HELLO", "/docs/a", "Order Completed", "a*b",
        12, 0, -1.5, 1.5, 100, 1000, 3, True, False, None, [1, 2], {"inner": "hello"}, [],
    ])


def bag(rng):
    out = {}
    for key in ["s", "n", "t", "f", "z", "e", "a", "o", "numstr", "truestr", "nullstr"]:
        if rng.random() < 0.75:
            out[key] = {
                "s": lambda: rng.choice(["hello", "hello world", "", "HELLO", "/docs/a", "a*b"]),
                "n": lambda: rng.choice([12, 0, -1.5, 1.5, 100, 1000, 3, 12.0]),
                "t": lambda: rng.choice([True, False, "true"]),
                "f": lambda: rng.choice([False, "false", 0]),
                "z": lambda: rng.choice([None, 0, ""]),
                "e": lambda: rng.choice(["", [], {}]),
                "a": lambda: rng.choice([[1, "two"], [], ["hello"], "hello"]),
                "o": lambda: rng.choice([{"inner": "hello"}, {"inner": 12}, {}, None, "flat", {"missing": {"deep": 1}}]),
                "numstr": lambda: rng.choice(["12", "1.50", "1e3"]),
                "truestr": lambda: "true",
                "nullstr": lambda: "null",
            }[key]()
        if rng.random() < 0.1:
            out[key] = value(rng)
    return out


def event(rng):
    kind = rng.choice(["track", "identify", "group", "page", "screen", "alias"])
    e = {"type": kind}
    if rng.random() < 0.8:
        e["event"] = rng.choice(["Order Completed", "hello", "hello world", "12", "", 12, None, True])
    if rng.random() < 0.6:
        e["name"] = rng.choice(["hello", "Home", "", 12, None])
    if rng.random() < 0.8:
        e["userId"] = rng.choice(["u1", "12", "", 12, True, None, "hello world"])
    if rng.random() < 0.4:
        e["anonymousId"] = rng.choice(["hello", "a1"])
    for root in ["properties", "traits", "context"]:
        if rng.random() < 0.85:
            e[root] = bag(rng)
    if "context" in e and rng.random() < 0.5:
        e["context"]["page"] = {"path": rng.choice(["/docs/a", "/home", 3])}
    return e


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [[expression(rng), event(rng)] for _ in range(args.count)]
    json.dump(cases, __import__("sys").stdout)


if __name__ == "__main__":
    main()
