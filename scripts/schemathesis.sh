#!/usr/bin/env bash
# Runs schemathesis against a running Sluice, using the OpenAPI document the server serves.
#
#   scripts/schemathesis.sh BASE_URL TOKEN [--long] [--negative] [--stateful] [--config FILE] [-- EXTRA...]
#
#   BASE_URL    where `sluice serve` listens, e.g. http://127.0.0.1:8080
#   TOKEN       a Public API token (`sluice serve --token TOKEN` makes sure it exists)
#   (default)   the short run: positive data, phases examples, coverage and fuzzing,
#               25 examples per operation. What CI runs.
#   --negative  also a run with negative data (invalid by the document), which must be
#               rejected with a 4xx; adds the check negative_data_rejection.
#   --stateful  also a stateful run that follows the document's links (create a source,
#               then get, update, delete it...); adds use_after_free and
#               ensure_resource_availability.
#   --long      all three runs, with more examples (200 positive, 100 negative, 50 stateful).
#   --config FILE  a schemathesis.toml to use instead of the repository's (scripts/schemathesis-seed.py
#               writes one that pins path parameters to real ids, so operations get past their 404s).
#   -- EXTRA    passed to every `schemathesis run` as they are (e.g. -- --max-failures 5).
#
# Installs nothing. It needs schemathesis 4 on PATH, or its path in $SCHEMATHESIS:
#
#   python3 -m pip install 'schemathesis==4.32.5'
#
# Every run uses a fixed seed ($SCHEMATHESIS_SEED, default 20251128), one worker and no
# example database, so two runs against the same server state send the same requests.
# schemathesis runs in a fresh working folder ($SCHEMATHESIS_WORKDIR, default a new one
# under /tmp), where it keeps its caches and crash files (`schemathesis replay ID` there),
# so nothing lands in the checkout and no earlier run's state is replayed. A
# schemathesis.toml at the repository root, if there is one, is passed with --config-file.
# With $SCHEMATHESIS_REPORT_DIR set, each run writes a JUnit report there.
#
# Exits 0 when every run passed, 1 when any run found a failure or could not run, 2 on
# bad usage. docs/openapi.md explains the checks and what the server must do to pass them.
set -uo pipefail

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 2 ] || usage
BASE_URL=${1%/}
TOKEN=$2
shift 2

LONG=0
NEGATIVE=0
STATEFUL=0
CONFIG=
EXTRA=()
while [ $# -gt 0 ]; do
    case $1 in
        --long) LONG=1 ;;
        --negative) NEGATIVE=1 ;;
        --stateful) STATEFUL=1 ;;
        --config) shift; CONFIG=${1:?--config needs a file}; case $CONFIG in /*) ;; *) CONFIG=$PWD/$CONFIG ;; esac ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) usage ;;
        *) echo "schemathesis.sh: unknown option $1" >&2; usage ;;
    esac
    shift
done
if [ "$LONG" = 1 ]; then
    NEGATIVE=1
    STATEFUL=1
fi

SCHEMATHESIS=${SCHEMATHESIS:-schemathesis}
SEED=${SCHEMATHESIS_SEED:-20251128}
if ! command -v "$SCHEMATHESIS" >/dev/null 2>&1; then
    echo "schemathesis.sh: '$SCHEMATHESIS' not found: python3 -m pip install 'schemathesis==4.32.5'" >&2
    exit 1
fi
case $SCHEMATHESIS in
    */*) SCHEMATHESIS=$(cd "$(dirname "$SCHEMATHESIS")" && pwd)/$(basename "$SCHEMATHESIS") ;;
esac

# The checks every run makes (schemathesis 4 names):
#   not_a_server_error            no 5xx
#   status_code_conformance       every status is one the document lists for the operation
#   content_type_conformance      the Content-Type is one the document lists for that status
#   response_schema_conformance   the body matches the schema of that status and type
#   response_headers_conformance  required headers are there, and every documented header
#                                 matches its schema (X-Request-Id, X-RateLimit-*, Retry-After)
#   ignored_auth                  an operation that needs a token answers 401 without one
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,ignored_auth

if [ "$LONG" = 1 ]; then
    POSITIVE_EXAMPLES=200
    NEGATIVE_EXAMPLES=100
    STATEFUL_EXAMPLES=50
else
    POSITIVE_EXAMPLES=25
    NEGATIVE_EXAMPLES=25
    STATEFUL_EXAMPLES=20
fi

REPO=$(cd "$(dirname "$0")/.." && pwd)
GLOBAL=()
if [ -n "$CONFIG" ]; then
    GLOBAL+=(--config-file "$CONFIG")
elif [ -f "$REPO/schemathesis.toml" ]; then
    GLOBAL+=(--config-file "$REPO/schemathesis.toml")
fi
[ -t 1 ] || GLOBAL+=(--no-color)
WORKDIR=${SCHEMATHESIS_WORKDIR:-$(mktemp -d /tmp/sluice-schemathesis.XXXXXX)}
mkdir -p "$WORKDIR"
case ${SCHEMATHESIS_REPORT_DIR:-} in
    ''|/*) ;;
    *) SCHEMATHESIS_REPORT_DIR=$PWD/$SCHEMATHESIS_REPORT_DIR ;;
esac
echo "schemathesis.sh: $("$SCHEMATHESIS" --version), working folder $WORKDIR" >&2

COMMON=(
    "$BASE_URL/openapi.yaml"
    --url "$BASE_URL"
    --header "Authorization: Bearer $TOKEN"
    --seed "$SEED"
    --workers 1
    --generation-database none
    --wait-for-schema 30
    --request-timeout 30
)

FAILED=()

run() {
    local name=$1
    shift
    local report=()
    if [ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]; then
        mkdir -p "$SCHEMATHESIS_REPORT_DIR"
        report=(--report junit --report-junit-path "$SCHEMATHESIS_REPORT_DIR/schemathesis-$name.xml")
    fi
    echo "==> schemathesis ($name): $SCHEMATHESIS ${GLOBAL[*]} run ${COMMON[*]/$TOKEN/***} $*" >&2
    (cd "$WORKDIR" && "$SCHEMATHESIS" "${GLOBAL[@]}" run "${COMMON[@]}" "$@" "${report[@]}" "${EXTRA[@]}")
    local status=$?
    if [ $status -ne 0 ]; then
        echo "==> schemathesis ($name): FAILED (exit $status)" >&2
        FAILED+=("$name")
    else
        echo "==> schemathesis ($name): passed" >&2
    fi
}

run positive \
    --mode positive \
    --phases examples,coverage,fuzzing \
    --max-examples "$POSITIVE_EXAMPLES" \
    --checks "$CHECKS"

if [ "$NEGATIVE" = 1 ]; then
    run negative \
        --mode negative \
        --phases coverage,fuzzing \
        --max-examples "$NEGATIVE_EXAMPLES" \
        --checks "$CHECKS,negative_data_rejection"
fi

if [ "$STATEFUL" = 1 ]; then
    run stateful \
        --mode positive \
        --phases stateful \
        --max-examples "$STATEFUL_EXAMPLES" \
        --checks "$CHECKS,use_after_free,ensure_resource_availability"
fi

if [ ${#FAILED[@]} -ne 0 ]; then
    echo "schemathesis.sh: failed: ${FAILED[*]}" >&2
    exit 1
fi
echo "schemathesis.sh: all runs passed" >&2
