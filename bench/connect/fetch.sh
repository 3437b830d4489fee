#!/usr/bin/env bash
# Fetch Kafka Connect (connect-runtime + connect-file, bench/connect/pom.xml) from Maven Central
# once into .cache/connect/<version>/libs and print the classpath. Used by bench/run.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
version="$(sed -n 's:.*<connect.version>\(.*\)</connect.version>.*:\1:p' "$here/pom.xml")"
libs="$repo/.cache/connect/$version/libs"
if [[ ! -f "$libs/.complete" ]]; then
  command -v mvn >/dev/null || { echo "mvn not found (apt-get install maven)" >&2; exit 1; }
  tmp="$(mktemp -d "$repo/.cache/.connect-XXXXXX" 2>/dev/null || { mkdir -p "$repo/.cache"; mktemp -d "$repo/.cache/.connect-XXXXXX"; })"
  if ! mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/libs" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2; rm -rf "$tmp"; exit 1
  fi
  touch "$tmp/libs/.complete"
  mkdir -p "$(dirname "$libs")"
  mv -T "$tmp/libs" "$libs" 2>/dev/null || true
  rm -rf "$tmp"
fi
echo "$libs/*"
