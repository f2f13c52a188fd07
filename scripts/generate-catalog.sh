#!/usr/bin/env bash
# Regenerates Sources/SluiceCatalogData/CatalogData.swift, the catalog shipped inside the binary,
# from Segment's docs catalog in ../shared/catalog (destinations.yml and sources.yml).
#
#   scripts/generate-catalog.sh            write the file (a no-op when it is current)
#   scripts/generate-catalog.sh --check    exit 1 when the file is not what the generator writes
#   scripts/generate-catalog.sh --catalog DIR --output FILE
#
# It builds and runs the SluiceCatalogGen target, which converts the files with SluiceCatalog's
# own converter (descriptions left out). The output depends on the two files alone, so running
# it twice changes nothing. SCRATCH names the build folder (default .build-catalog). See docs/catalog.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift run --scratch-path "${SCRATCH:-.build-catalog}" SluiceCatalogGen "$@"
