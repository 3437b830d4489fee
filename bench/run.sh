#!/usr/bin/env bash
# `npm run bench`: casebridge side by side with its peers on this machine. Not part of `npm test`.
#
#   bash bench/run.sh                       every scenario, defaults (about 10–15 minutes on 2 cores)
#   BENCH_SCENARIOS=publish,csv bash bench/run.sh
#   BENCH_SCENARIOS=startup,csv,sql BENCH_REPEATS=5 BENCH_CSV_ROWS=50000 bash bench/run.sh
#
# Scenarios: startup, publish, csv, sql, memory, latency, track (all by default).
#
# The pipeline scenarios (csv, sql, startup) also run the build of a base git ref, interleaved with
# this tree, and report the ratio: BENCH_BASE_REF (default: the commit in bench/base-ref, main
# before issue #16's optimisations; `none` skips it). It is checked out with `git worktree add` into
# .cache/bench-base/<sha> (node_modules symlinked from here, `npm run build`) and kept for the next
# run; BENCH_BASE_CLEAN=1 removes it afterwards.
#
# The CSV scenario also runs a bare Node baseline (csv-parse → JSON → kafkajs), kcat and Kafka
# Connect FileStreamSource (fetched once by bench/connect/fetch.sh from Maven Central with mvn);
# BENCH_CSV_PEERS=0 runs only casebridge and its base. BENCH_CONNECT_TIMEOUT (180 s) bounds a
# Connect run. BENCH_STARTUP_RUNS (10) runs of `casebridge --help` and `node -e 0`.
#
# Prepares what the scenarios need, then runs bench/main.ts, which writes bench/results/latest.md
# and latest.json:
#   - builds dist/ (the CLI is what the pipeline scenarios run);
#   - starts the local Kafka broker (scripts/kafka/kafka.sh) unless KAFKA_BROKERS names one, and
#     stops it afterwards if it started it;
#   - installs kcat with apt-get when it is missing (the CSV peer); if that fails the table says why;
#   - checks PostgreSQL at BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
#
# Sizes (environment): BENCH_REPEATS (3), BENCH_PARTITIONS (6), BENCH_PUBLISH_EVENTS (100000),
# BENCH_PUBLISH_BATCH (500), BENCH_CSV_ROWS (100000), BENCH_SQL_ROWS (200000),
# BENCH_MEMORY_SMALL_MB (10), BENCH_MEMORY_MID_MB (100), BENCH_MEMORY_LARGE_MB (1024),
# BENCH_MEMORY_NOTES (4000 characters),
# BENCH_LATENCY_SECONDS (20), BENCH_LATENCY_RATE (10 per second), BENCH_POLL_INTERVAL (1s),
# BENCH_SQL_LAG (0s), BENCH_TRACK_EVENTS (100000), BENCH_TRACK_CASES (100000; the goal is stated
# for 1000000), BENCH_TRACK_SECONDS (10), BENCH_TMP (system temp), BENCH_RESULTS_DIR (bench/results).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { printf 'bench: %s\n' "$*" >&2; }

started_broker=""
cleanup() {
  if [[ -n "$started_broker" ]]; then bash scripts/kafka/kafka.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building dist/"
if ! npm run --silent build >/tmp/casebridge-bench-build.log 2>&1; then
  # tsc still emits on type errors; only a missing CLI is fatal.
  say "build reported errors (see /tmp/casebridge-bench-build.log)"
  [[ -f dist/cli/main.js ]] || { say "dist/cli/main.js missing: cannot run the pipeline scenarios"; exit 1; }
fi

kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' scripts/kafka/pom.xml)"
export BENCH_KAFKA_VERSION="${KAFKA_VERSION:-$kafka_version}"
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  port="${KAFKA_PORT:-19092}"
  if bash scripts/kafka/kafka.sh status >/dev/null 2>&1; then
    say "using the local Kafka broker already running on 127.0.0.1:$port (left running)"
  else
    say "starting the local Kafka broker"
    started_broker=1
    bash scripts/kafka/kafka.sh start >/dev/null || { say "could not start Kafka (scripts/kafka/kafka.sh start)"; exit 1; }
  fi
  export KAFKA_BROKERS="127.0.0.1:$port"
else
  say "using KAFKA_BROKERS=$KAFKA_BROKERS (broker version assumed $BENCH_KAFKA_VERSION)"
fi
# kafka-producer-perf-test lives in kafka-tools, fetched with the broker's jars.
if cp="$(bash scripts/kafka/kafka.sh classpath 2>/dev/null)"; then
  export BENCH_KAFKA_CLASSPATH="$cp"
else
  say "no Kafka classpath: the publish-only peer cannot run"
fi

if ! command -v kcat >/dev/null 2>&1; then
  say "kcat missing: apt-get update && apt-get install -y kcat"
  if [[ "$(id -u)" != 0 ]]; then
    export BENCH_KCAT_PROBLEM="kcat is not installed and this user ($(id -un)) cannot run apt-get install -y kcat"
  elif ! command -v apt-get >/dev/null 2>&1; then
    export BENCH_KCAT_PROBLEM="kcat is not installed and there is no apt-get on this machine to install it"
  else
    log=/tmp/casebridge-bench-kcat.log
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y kcat; } >"$log" 2>&1; then
      export BENCH_KCAT_PROBLEM="apt-get install -y kcat failed: $(grep -E '^(E|Err):' "$log" | head -2 | tr '\n' ' ')"
    elif ! command -v kcat >/dev/null 2>&1; then
      export BENCH_KCAT_PROBLEM="apt-get install -y kcat succeeded but no kcat on PATH"
    fi
  fi
  [[ -n "${BENCH_KCAT_PROBLEM:-}" ]] && say "$BENCH_KCAT_PROBLEM"
fi

if cp="$(bash bench/connect/fetch.sh 2>/tmp/casebridge-bench-connect.log)"; then
  export BENCH_CONNECT_CLASSPATH="$cp"
else
  export BENCH_CONNECT_PROBLEM="could not fetch Kafka Connect from Maven Central: $(tail -3 /tmp/casebridge-bench-connect.log | tr '\n' ' ')"
  say "$BENCH_CONNECT_PROBLEM"
fi

pg_url="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -d "$pg_url" >/dev/null 2>&1; then
  say "PostgreSQL does not answer at $pg_url: the SQL scenarios will fail"
fi

node --import tsx bench/main.ts
