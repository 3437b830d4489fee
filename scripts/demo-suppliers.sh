#!/usr/bin/env bash
# The supplier demo (`npm run demo:suppliers`): start the simulated council supplier systems on
# 127.0.0.1 — waste, highways and planning over SOAP, housing repairs over REST — run every
# connector of config/demo/suppliers.yaml once, print the summary, stop the simulators, and exit
# with the gateway's exit code (0: every connector ran; 1: one failed; 2: the config is invalid).
#
# Needs nothing but Node.js and `npm ci`: no Kafka, no database, no other server.
#
# Running it again publishes only what changed (nothing: the simulators serve the same data, dated
# from the time saved in var/suppliers/simulators.base-time). Delete config/demo/var/suppliers to
# replay from the start.
#
# Environment (all optional):
#   DEMO_CONFIG      config to run (default config/demo/suppliers.yaml); its var/suppliers folder
#                    holds the events, the state and the simulator logs
#   DEMO_BASE_PORT   first of four consecutive ports for the simulators (default: 8081-8084 when
#                    free, else four free ports found at random)
# Extra arguments go to `casebridge run`, e.g. `npm run demo:suppliers -- --json`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

config="${DEMO_CONFIG:-config/demo/suppliers.yaml}"
var_dir="$(dirname "$config")/var/suppliers"
mkdir -p "$var_dir"

say() { printf '%s\n' "$*" >&2; }

if [[ ! -f dist/cli/main.js ]]; then
  say "building casebridge (npm run build) ..."
  npm run --silent build >&2
fi

# The simulators date their demo data back from this time. Saved on the first run so that a
# restarted simulator serves exactly the same cases, and a second run has nothing new to publish.
base_file="$var_dir/simulators.base-time"
if [[ ! -s "$base_file" ]]; then
  node -e 'process.stdout.write(new Date(Math.floor(Date.now() / 60000) * 60000).toISOString())' >"$base_file"
fi
base_time="$(cat "$base_file")"
rest_base_time="$(node -e 'process.stdout.write(new Date(Date.parse(process.argv[1]) - 24 * 3600000).toISOString())' "$base_time")"

# Four consecutive free ports on 127.0.0.1: waste, highways, planning (the SOAP start script
# takes the first and uses the next two), then housing repairs.
port="${DEMO_BASE_PORT:-$(node -e '
  const net = require("node:net");
  const free = (p) => new Promise((ok) => { const s = net.createServer(); s.once("error", () => ok(false)); s.listen(p, "127.0.0.1", () => s.close(() => ok(true))); });
  const allFree = async (b) => { for (let i = 0; i < 4; i++) if (!(await free(b + i))) return false; return true; };
  (async () => {
    for (const b of [8081, ...Array.from({ length: 30 }, () => 20000 + Math.floor(Math.random() * 40000))]) {
      if (await allFree(b)) return void process.stdout.write(String(b));
    }
    process.exit(1);
  })();
')}"
if [[ -z "$port" ]]; then say "no four consecutive free ports found on 127.0.0.1; set DEMO_BASE_PORT"; exit 1; fi

soap_log="$var_dir/simulators-soap.log"
rest_log="$var_dir/simulators-rest.log"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    # Give each simulator 5 seconds to close its sockets, then make sure it is gone.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# `node --import tsx` runs the TypeScript simulators in this very process, so the pid is the server.
node --import tsx tests/simulators/soap/start.ts --port "$port" --base-time "$base_time" >"$soap_log" 2>&1 &
pids+=($!)
node --import tsx tests/simulators/rest/start.ts --port "$((port + 3))" --token demo-repairs-token --base-time "$rest_base_time" >"$rest_log" 2>&1 &
pids+=($!)

export WASTE_URL="http://127.0.0.1:$port/WasteServices/Service.asmx"
export HIGHWAYS_URL="http://127.0.0.1:$((port + 1))/EnquiryService/EnquiryService.svc"
export PLANNING_URL="http://127.0.0.1:$((port + 2))/PlanningService/Service.asmx"
export REPAIRS_URL="http://127.0.0.1:$((port + 3))"
# The simulators' test credentials (tests/simulators/soap/start.ts prints them).
export WASTE_PASSWORD=waste-secret HIGHWAYS_PASSWORD=highways-secret PLANNING_PASSWORD=planning-secret
export REPAIRS_TOKEN=demo-repairs-token

# Ready when both have printed their banner (so they, and not something else, hold the ports)
# and every service answers.
ready() {
  grep -q 'casebridge SOAP supplier simulators' "$soap_log" && grep -q 'housing-repairs simulator on' "$rest_log" || return 1
  node -e '
    const [auth, ...urls] = process.argv.slice(1);
    Promise.all(urls.map((u) => fetch(u, { headers: u.includes("/api/") ? { authorization: auth } : {}, signal: AbortSignal.timeout(2000) }).then((r) => r.ok)))
      .then((oks) => process.exit(oks.every(Boolean) ? 0 : 1), () => process.exit(1));
  ' "Bearer $REPAIRS_TOKEN" "$WASTE_URL?wsdl" "$HIGHWAYS_URL?wsdl" "$PLANNING_URL?wsdl" "$REPAIRS_URL/api/v2/cases?limit=1"
}
say "starting supplier simulators on 127.0.0.1:$port-$((port + 3)) (logs in $var_dir) ..."
for attempt in $(seq 120); do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      log=$([[ $i == 0 ]] && echo "$soap_log" || echo "$rest_log")
      say "a simulator stopped while starting; its log ($log):"
      cat "$log" >&2
      exit 1
    fi
  done
  if ready; then break; fi
  if ((attempt == 120)); then say "the simulators did not answer within 60s (logs in $var_dir)"; exit 1; fi
  sleep 0.5
done
cat "$soap_log" "$rest_log" >&2

say ""
say "casebridge run $config --once"
rc=0
node dist/cli/main.js run "$config" --once "$@" || rc=$?

say ""
say "events (one CloudEvent per line): $var_dir/events/"
say "run it again to see that only changes are published; delete $var_dir to replay from the start"
exit "$rc"
