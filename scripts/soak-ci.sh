#!/usr/bin/env bash
# Runs CI again and again on fresh clones of main, to find tests that fail by chance.
#
#   scripts/soak-ci.sh N [--busy] [--ref REF]
#
# Each run clones the repository afresh into a temp folder (as CI does) and runs `bash .ci/run`
# there with CI=true, printing one line per run; a summary line ends the output. --busy keeps one
# core loaded with a bounded busy loop for the whole soak. Logs of failed runs are kept and named.
# Exit status: 0 when every run passed.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=""
busy=""
ref="main"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --busy) busy=1 ;;
    --ref) ref="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) [[ "$1" =~ ^[0-9]+$ ]] || { echo "usage: $0 N [--busy] [--ref REF]" >&2; exit 64; }; runs="$1" ;;
  esac
  shift
done
[[ -n "$runs" && "$runs" -ge 1 ]] || { echo "usage: $0 N [--busy] [--ref REF]" >&2; exit 64; }

work="$(mktemp -d "${TMPDIR:-/tmp}/casebridge-soak-XXXXXX")"
busy_pid=""
cleanup() {
  if [[ -n "$busy_pid" ]]; then kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n "$busy" ]]; then
  # One core busy, bounded: it stops by itself after 3 hours even if this script is killed.
  timeout 10800 bash -c 'while :; do :; done' &
  busy_pid=$!
fi

commit="$(git -C "$repo" rev-parse --short "$ref")"
echo "soak: $runs run(s) of .ci/run on fresh clones of $ref ($commit)${busy:+, one core kept busy}; logs in $work"
passed_runs=0
failed_runs=0
durations=()
for ((i = 1; i <= runs; i++)); do
  dir="$work/run-$i"
  git clone -q --branch "$ref" "$repo" "$dir" 2>/dev/null || git clone -q "$repo" "$dir"
  git -C "$dir" checkout -q "$commit"
  start=$(date +%s)
  (cd "$dir" && CI=true bash .ci/run </dev/null >"$work/run-$i.log" 2>&1)
  rc=$?
  seconds=$(($(date +%s) - start))
  durations+=("$seconds")
  summary="$(tail -n 1 "$work/run-$i.log")"
  if [[ $rc -eq 0 ]]; then
    passed_runs=$((passed_runs + 1))
    echo "run $i/$runs: green  ${seconds}s  $summary"
    rm -rf "$dir"
  else
    failed_runs=$((failed_runs + 1))
    failing="$(grep -E '^ +(FAIL|×|✗)|^ FAIL ' "$work/run-$i.log" | head -n 5 | tr -s ' ' | paste -sd ';' -)"
    echo "run $i/$runs: RED    ${seconds}s  $summary  (exit $rc; log $work/run-$i.log) ${failing}"
    rm -rf "$dir/node_modules"
  fi
done

sorted=($(printf '%s\n' "${durations[@]}" | sort -n))
n=${#sorted[@]}
echo "soak: $runs run(s), $passed_runs green, $failed_runs red; duration min ${sorted[0]}s, median ${sorted[$((n / 2))]}s, max ${sorted[$((n - 1))]}s${busy:+ (one core busy)}"
[[ $failed_runs -eq 0 ]]
