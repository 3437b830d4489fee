#!/usr/bin/env bash
# The project's test command (`npm test`): build, start the local Kafka broker unless
# KAFKA_BROKERS names one, run every vitest suite, stop the broker it started, and end with
# exactly one line "N passed, N failed" counted from vitest's JSON report.
# Extra arguments go to vitest, e.g. `npm test -- tests/kafka`.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
report_dir="$repo/.cache/test"
mkdir -p "$report_dir"
report="$report_dir/vitest-report.json"
rm -f "$report"

started_broker=""
cleanup() {
  if [[ -n "$started_broker" ]]; then bash scripts/kafka/kafka.sh stop || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! npm run --silent build; then
  echo "build failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
# Sources and tests type-check together (strict, no unused locals) before anything runs.
if ! npm run --silent typecheck; then
  echo "typecheck failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# Is anything listening on 127.0.0.1:PORT?
port_busy() { node -e 'const s=require("net").connect(+process.argv[1],"127.0.0.1");s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1))' "$1"; }
# Two free loopback ports, for a broker and its controller.
free_ports() { node -e 'const n=require("net");const a=n.createServer().listen(0,"127.0.0.1",()=>{const b=n.createServer().listen(0,"127.0.0.1",()=>{console.log(a.address().port,b.address().port);a.close();b.close()})})'; }

if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  if [[ -z "${KAFKA_PORT:-}" ]] && ! bash scripts/kafka/kafka.sh status >/dev/null 2>&1 && { port_busy 19092 || port_busy 19093; }; then
    # Another process (another clone's broker, anything) holds the default ports: take free ones
    # rather than fail to start.
    read -r KAFKA_PORT KAFKA_CONTROLLER_PORT <<<"$(free_ports)"
    export KAFKA_PORT KAFKA_CONTROLLER_PORT
    echo "test.sh: 127.0.0.1:19092 is taken; the local broker uses 127.0.0.1:$KAFKA_PORT" >&2
  fi
  port="${KAFKA_PORT:-19092}"
  if bash scripts/kafka/kafka.sh status >/dev/null 2>&1; then
    echo "test.sh: using the local Kafka broker already running on 127.0.0.1:$port (left running)" >&2
  else
    started_broker=1
    if ! bash scripts/kafka/kafka.sh start >/dev/null; then
      echo "test.sh: could not start the local Kafka broker (scripts/kafka/kafka.sh start)" >&2
      echo "0 passed, 1 failed"
      exit 1
    fi
  fi
  export KAFKA_BROKERS="127.0.0.1:$port"
else
  echo "test.sh: using KAFKA_BROKERS=$KAFKA_BROKERS" >&2
fi

npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
rc=$?

counts="$(node -e '
  const fs = require("node:fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 0 0"); process.exit(0); }
  // A file that failed to load has no failed test but did fail: count it once.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")).length;
  console.log(`${r.numPassedTests ?? 0} ${(r.numFailedTests ?? 0) + brokenFiles} ${brokenFiles}`);
' "$report")"
read -r passed failed broken <<<"$counts"

if [[ ! -s "$report" ]]; then
  echo "test.sh: vitest wrote no JSON report (exit code $rc)" >&2
  failed=$((failed > 0 ? failed : 1))
elif ((broken > 0)); then
  echo "test.sh: $broken test file(s) failed outside any test (load error or failing hook); counted as failures" >&2
fi
if ((rc != 0 && failed == 0)); then
  echo "test.sh: vitest exited with code $rc although no test failed (unhandled error?); counted as a failure" >&2
  failed=1
fi

# Stop the broker before the summary so the summary stays the last line.
cleanup
started_broker=""
echo "$passed passed, $failed failed"
if ((rc != 0 || failed > 0)); then exit 1; fi
exit 0
