#!/usr/bin/env bash
# Runs the benchmarks and prints their figures (make bench):
#
#   go run ./bench/coldstart    exec -> first answer to GET /, handler vs a bare hello-world
#   go run ./bench/envelope     POST /TenantHealthSweep round trip at 32-way concurrency,
#                               handler vs a bare net/http server doing the same JSON work
#   go run ./bench/rls          (BENCH_RLS=1) RLS overhead, 1,000 tenants x 1,000 meetings
#   go run ./bench/notifyburst  (BENCH_NOTIFY=1) GraphNotifications ack latency, 2,000 notifications
#                               at 200 connections, against 'handler standalone', zero-loss check,
#                               pgbench single-row insert TPS beside it
#   go test -bench ./shared/... ./bench/...   the in-process Go benchmarks
#
# Everything listens on 127.0.0.1 only and needs no configuration or services. Each step runs
# even if an earlier one failed; the script exits 1 if any did.
#
# Environment:
#   COLDSTART_FLAGS   extra flags for bench/coldstart (e.g. "-n 50")
#   ENVELOPE_FLAGS    extra flags for bench/envelope (e.g. "-d 10s -rounds 3")
#   BENCH_GOTEST_FLAGS  extra flags for go test (e.g. "-count 5 -benchtime 2s")
#   NOTIFY_FLAGS      extra flags for bench/notifyburst (e.g. "-n 5000 -c 100 -workers run")
#
# The notification burst (issue #5) needs a local PostgreSQL superuser (BENCH_DATABASE_URL,
# else TEST_DATABASE_URL, else postgres@127.0.0.1:5432): it creates the scratch database
# minutes_bench_notify, runs 'handler migrate up' as minutes_owner and 'handler standalone' as
# minutes_app on 127.0.0.1, fires the burst, checks that every acknowledged notification has
# one receipt and one River job, drops the database, and runs pgbench (postgresql-client) on
# the same server for comparison. Opt in with BENCH_NOTIFY=1; it takes about a minute.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
step() {
	local name=$1
	shift
	printf '\n==> %s\n' "$*"
	if ! "$@"; then
		failed+=("$name")
	fi
}

printf 'bench: %s, %s, %s CPUs, commit %s%s\n' "$(go version | cut -d' ' -f3-)" "$(uname -sr)" "$(nproc)" \
	"$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
	"$(git diff --quiet HEAD -- 2>/dev/null || echo ' (dirty tree)')"

# shellcheck disable=SC2086 # the *_FLAGS variables are word lists on purpose
step coldstart go run ./bench/coldstart ${COLDSTART_FLAGS:-}
# shellcheck disable=SC2086
step envelope go run ./bench/envelope ${ENVELOPE_FLAGS:-}
# RLS overhead needs PostgreSQL and ~1 GB of scratch data: opt in with BENCH_RLS=1.
# shellcheck disable=SC2086
if [[ ${BENCH_RLS:-} == 1 ]]; then step rls go run ./bench/rls ${RLS_FLAGS:-}; fi
# The notification burst needs PostgreSQL (and pgbench for its comparison): opt in with BENCH_NOTIFY=1.
# shellcheck disable=SC2086
if [[ ${BENCH_NOTIFY:-} == 1 ]]; then step notifyburst go run ./bench/notifyburst ${NOTIFY_FLAGS:-}; fi
# shellcheck disable=SC2086
step go-test go test -run='^$' -bench=. -benchmem ${BENCH_GOTEST_FLAGS:-} ./shared/... ./bench/...

if ((${#failed[@]})); then
	printf '\nbench: failed: %s\n' "${failed[*]}" >&2
	exit 1
fi
