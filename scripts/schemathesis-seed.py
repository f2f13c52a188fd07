#!/usr/bin/env python3
"""Creates real resources on a running Sluice and prints a schemathesis.toml that pins every path
parameter to them, so that schemathesis's examples reach the handlers instead of their 404s.

    scripts/schemathesis-seed.py BASE_URL TOKEN > seeded.toml
    scripts/schemathesis.sh BASE_URL TOKEN --negative --config seeded.toml -- --exclude-method DELETE

Creates a source, a Webhooks (Actions) destination on it with one subscription, and an Amplitude
destination; `sourceId`, `destinationId` (the webhook one, which has subscriptions), `id` (the
subscription) and the catalog ids are pinned, in the path and in the query. Deletes are left out of
the pinned run (they would take the resources away from the operations after them); the stateful
run covers them. Needs only the Python standard library.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lib.sluice import PublicAPI  # noqa: E402

AMPLITUDE = "54521fd525e721e32a72ee91"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    api = PublicAPI(sys.argv[1], sys.argv[2])
    source_id, _ = api.create_source("schemathesis-seed")
    destination_id, subscription_id = api.create_webhook(source_id, "http://127.0.0.1:9/schemathesis", "seed-secret")
    api.request("POST", "/destinations", {"sourceId": source_id, "metadataId": AMPLITUDE, "settings": {"apiKey": "seed-0000-key"}})
    pins = {
        "path.sourceId": source_id,
        "path.destinationId": destination_id,
        "path.id": subscription_id,
        "path.destinationMetadataId": AMPLITUDE,
        "path.sourceMetadataId": "8HWbgPTt3k",
        "query.sourceId": source_id,
    }
    print("# Written by scripts/schemathesis-seed.py: path parameters pinned to resources that exist.")
    print("[parameters]")
    for key, value in pins.items():
        print(f'"{key}" = "{value}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
