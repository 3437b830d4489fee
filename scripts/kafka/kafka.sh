#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker + controller) for tests, demos and benches.
#
#   scripts/kafka/kafka.sh start    fetch jars (once), format storage (once), start, wait until it answers
#   scripts/kafka/kafka.sh stop     stop it (SIGTERM, then SIGKILL after 30 s)
#   scripts/kafka/kafka.sh status   exit 0 and print the address when it answers, exit 3 otherwise
#   scripts/kafka/kafka.sh pid      print the broker's process id (for the broker-kill test)
#   scripts/kafka/kafka.sh reset    stop and delete its data
#   scripts/kafka/kafka.sh fetch    only fetch the jars; prints the folder holding them
#   scripts/kafka/kafka.sh format   only write the config and format storage (once); prints the cluster id
#   scripts/kafka/kafka.sh classpath  print the classpath of the Kafka jars
#   scripts/kafka/kafka.sh create-topic NAME [PARTITIONS]   create a topic on this broker (RF 1)
#   scripts/kafka/kafka.sh run-class CLASS [ARGS...]         run a Kafka tool, like kafka-run-class.sh:
#       run-class org.apache.kafka.tools.ProducerPerformance --topic t --num-records 100000 \
#         --record-size 600 --throughput -1 --command-property bootstrap.servers=127.0.0.1:19092 \
#         acks=all enable.idempotence=true                  (= kafka-producer-perf-test)
#
# Environment (all optional):
#   KAFKA_VERSION         Apache Kafka release from Maven Central (default: pom.xml's, 4.4.0)
#   KAFKA_PORT            client listener on 127.0.0.1 (default 19092)
#   KAFKA_CONTROLLER_PORT KRaft controller listener (default KAFKA_PORT + 1)
#   KAFKA_STATE_DIR       data, logs, pid file (default <repo>/.cache/kafka/node-<port>)
#   KAFKA_HEAP_OPTS       JVM heap (default -Xms128m -Xmx512m)
#   KAFKA_START_TIMEOUT   seconds to wait for the broker to answer (default 120)
#   KAFKA_EXTRA_CONFIG    file appended to the generated server.properties (later keys win), e.g.
#                         a SASL_SSL listener for the TLS/SASL tests
#   KAFKA_CLUSTER_ID      cluster id for the first storage format (default: 16 random bytes, base64url)
#   KAFKA_FORMAT_ARGS     extra arguments for the first storage format, e.g.
#                         --add-scram SCRAM-SHA-256=[name=alice,password=...]
#
# Every start/stop is idempotent: `start` on a running broker only checks that it answers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${KAFKA_CACHE_DIR:-$repo/.cache/kafka}"
default_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
version="${KAFKA_VERSION:-$default_version}"
port="${KAFKA_PORT:-19092}"
cport="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
state="${KAFKA_STATE_DIR:-$cache/node-$port}"
libs="$cache/$version/libs"
pidfile="$state/kafka.pid"
logdir="$state/logs"
datadir="$state/data"
conf="$state/server.properties"
heap="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
start_timeout="${KAFKA_START_TIMEOUT:-120}"

say() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

need_java() {
  command -v java >/dev/null || die "java not found: Kafka $version needs a Java 17+ runtime (apt-get install openjdk-17-jre-headless)"
}

fetch() {
  if [[ -f "$libs/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found: needed once to fetch Kafka $version from Maven Central (apt-get install maven)"
  say "fetching Apache Kafka $version jars from Maven Central into $libs"
  mkdir -p "$cache"
  local tmp
  tmp="$(mktemp -d "$cache/.fetch-XXXXXX")"
  if ! mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" \
      dependency:copy-dependencies -DoutputDirectory="$tmp/libs" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "could not fetch Kafka $version from Maven Central (see above)"
  fi
  touch "$tmp/libs/.complete"
  mkdir -p "$cache/$version"
  # Another caller may have finished first; either copy is complete.
  if ! mv -T "$tmp/libs" "$libs" 2>/dev/null; then rm -rf "$tmp/libs"; fi
  rm -rf "$tmp"
}

# A live (not zombie) broker process with this pid: a SIGKILLed broker can linger as a zombie
# until its parent reaps it, and pids get reused.
is_broker() {
  local pid="$1" stat
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ "$(awk '{print $1}' <<<"${stat##*)}")" != "Z" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

pid_alive() {
  [[ -f "$pidfile" ]] || return 1
  is_broker "$(cat "$pidfile")"
}

answers() {
  node "$here/probe.mjs" 127.0.0.1 "$port" "${1:-2000}" >/dev/null 2>&1
}

write_config() {
  mkdir -p "$datadir" "$logdir"
  cat >"$conf" <<EOF
# Written by scripts/kafka/kafka.sh: single node, KRaft combined mode, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$datadir
# Topics are created on purpose (the publisher's createTopics or a test), never by a typo.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# A restarted (or SIGKILLed) node waits for its previous registration to expire before it takes
# requests again; with one node there is nobody to fail over to, so keep that wait short.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
# Small machine, shared with others.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.retention.hours=24
log.segment.bytes=67108864
EOF
  if [[ -n "${KAFKA_EXTRA_CONFIG:-}" ]]; then
    printf '\n# From KAFKA_EXTRA_CONFIG=%s\n' "$KAFKA_EXTRA_CONFIG" >>"$conf"
    cat "$KAFKA_EXTRA_CONFIG" >>"$conf"
  fi
}

format_storage() {
  if [[ -f "$datadir/meta.properties" ]]; then return 0; fi
  local cluster_id
  # A KRaft cluster id is 16 random bytes, base64url without padding. One in 64 begins with "-",
  # so it is passed as --cluster-id=ID: in that form the storage tool never reads it as an option.
  cluster_id="${KAFKA_CLUSTER_ID:-$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}"
  say "formatting KRaft storage in $datadir (cluster $cluster_id)"
  local -a extra=()
  read -r -a extra <<<"${KAFKA_FORMAT_ARGS:-}" # split on spaces, no globbing of [name=...]
  java -Xmx256m -cp "$libs/*" -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-$here/log4j2.properties}" -Dkafka.logs.dir="$logdir" \
    kafka.tools.StorageTool format --cluster-id="$cluster_id" -c "$conf" "${extra[@]}" >"$logdir/format.log" 2>&1 \
    || { cat "$logdir/format.log" >&2; die "formatting storage failed"; }
}

start() {
  need_java
  mkdir -p "$state"
  # One start at a time per node (test runs and benches may race).
  exec 9>"$state/.lock"
  flock -w 300 9 || die "timed out waiting for another kafka.sh on $state"
  if pid_alive; then
    if wait_ready "$(cat "$pidfile")"; then
      say "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
      echo "127.0.0.1:$port"
      return 0
    fi
    if pid_alive; then
      die "process $(cat "$pidfile") is running but the broker does not answer on 127.0.0.1:$port (see $logdir/server.log)"
    fi
    say "the previous broker process is gone; starting a new one"
  fi
  rm -f "$pidfile"
  if answers; then
    die "something else already answers on 127.0.0.1:$port (not started by this script: no pid in $pidfile); set KAFKA_PORT or use KAFKA_BROKERS=127.0.0.1:$port"
  fi
  fetch
  write_config
  format_storage
  say "starting Kafka $version on 127.0.0.1:$port (controller :$cport, data $datadir)"
  # setsid: the broker survives the calling shell's job control and Ctrl-C; `stop` ends it.
  # shellcheck disable=SC2086
  setsid java -server $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$here/log4j.properties" -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-$here/log4j2.properties}" -Dkafka.logs.dir="$logdir" \
    -cp "$libs/*" kafka.Kafka "$conf" >"$logdir/stdout.log" 2>&1 </dev/null 9>&- &
  local pid=$!
  echo "$pid" >"$pidfile"
  local t0=$SECONDS
  if ! wait_ready "$pid"; then
    tail -n 40 "$logdir/server.log" "$logdir/stdout.log" >&2 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    die "broker did not answer on 127.0.0.1:$port within ${start_timeout}s"
  fi
  say "ready in $((SECONDS - t0))s (pid $pid)"
  echo "127.0.0.1:$port"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    is_broker "$pid" || { say "broker process $pid exited"; return 1; }
    if answers 2000; then return 0; fi
    sleep 0.5
  done
  return 1
}

stop() {
  if ! pid_alive; then
    rm -f "$pidfile"
    say "not running (127.0.0.1:$port)"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  say "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    is_broker "$pid" || break
    sleep 0.5
  done
  if is_broker "$pid"; then
    say "still running after 30s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

status() {
  if pid_alive && answers 3000; then
    echo "running pid $(cat "$pidfile") on 127.0.0.1:$port (Kafka $version, state $state)"
    return 0
  fi
  if pid_alive; then echo "process $(cat "$pidfile") is up but not answering on 127.0.0.1:$port"; return 3; fi
  echo "not running (127.0.0.1:$port)"
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  pid) pid_alive && cat "$pidfile" || { say "not running"; exit 3; } ;;
  reset) stop; rm -rf "$state"; say "deleted $state" ;;
  fetch) fetch; echo "$libs" ;;
  format) need_java; fetch; write_config; format_storage; sed -n 's/^cluster.id=//p' "$datadir/meta.properties" ;;
  classpath) fetch; echo "$libs/*" ;;
  run-class)
    shift
    [[ $# -ge 1 ]] || die "usage: $0 run-class CLASS [ARGS...]"
    need_java
    fetch
    mkdir -p "$logdir"
    # shellcheck disable=SC2086
    exec java $heap -Dlog4j.configuration="file:$here/log4j.properties" -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-$here/log4j2.properties}" \
      -Dkafka.logs.dir="$logdir" -cp "$libs/*" "$@"
    ;;
  create-topic)
    [[ $# -ge 2 ]] || die "usage: $0 create-topic NAME [PARTITIONS]"
    "$0" run-class org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --create --if-not-exists \
      --topic "$2" --partitions "${3:-1}" --replication-factor 1
    ;;
  *) echo "usage: $0 start|stop|status|pid|reset|fetch|format|classpath|create-topic|run-class" >&2; exit 2 ;;
esac
