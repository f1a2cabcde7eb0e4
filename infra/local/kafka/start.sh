#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start a single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# from the Maven Central jars in $ROOT/.tools/kafka/libs.
#   PLAINTEXT 127.0.0.1:9092 (advertised as localhost:9092), CONTROLLER 127.0.0.1:9093
#   data:   $ROOT/.state/kafka/data        config: $ROOT/.state/kafka/server.properties
#   log:    $ROOT/.state/logs/kafka.log    pid:    $ROOT/.state/pids/kafka.pid
# Env: KAFKA_START_DEADLINE_S (default 60), KAFKA_HEAP_OPTS (default -Xmx512m).
# Topics are NOT created here: the application's setup (kafkajs admin) does it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

NAME=kafka
PORT=9092
CONTROLLER_PORT=9093
DEADLINE_S="${KAFKA_START_DEADLINE_S:-60}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m}"
LIBS="$TOOLS_DIR/kafka/libs"
KSTATE="$STATE_DIR/kafka"
DATA="$KSTATE/data"
PROPS="$KSTATE/server.properties"
LOG="$(log_file "$NAME")"

# Ready = the broker accepts TCP on 9092 and, in this run's part of the log,
# KafkaRaftServer said "Kafka Server started".
kafka_ready() {
  tcp_open "$PORT" || return 1
  # not `tail | grep -q`: grep stops at the first match, tail then dies of SIGPIPE, and pipefail
  # turns that into "not ready" once this run's log is longer than a pipe holds
  grep -q 'Kafka Server started' < <(tail -c "+$((LOG_OFFSET + 1))" "$LOG" 2>/dev/null)
}

t0="$(now_ms)"
touch "$LOG"
if is_running "$NAME"; then
  log "$NAME" "already running (pid $(read_pid "$NAME")), checking it is ready…"
  LOG_OFFSET="$(cat "$KSTATE/log-offset" 2>/dev/null || echo 0)"
  wait_until "$NAME" "$DEADLINE_S" kafka_ready
  log "$NAME" "ready on 127.0.0.1:$PORT (pid $(read_pid "$NAME"))"
  exit 0
fi

"$HERE/fetch.sh"
command -v java >/dev/null || die "$NAME" "java not found (need Java 17)"
require_port_free "$NAME" "$PORT"
require_port_free "$NAME" "$CONTROLLER_PORT"

mkdir -p "$DATA"
sed "s#@DATA_DIR@#$DATA#g" "$HERE/server.properties.template" >"$PROPS"

JAVA_BASE=(java -Dlog4j.configuration="file:$HERE/log4j.properties" -Djava.awt.headless=true
           -cp "$LIBS/*")

if [[ ! -f "$DATA/meta.properties" ]]; then
  if [[ ! -s "$KSTATE/cluster-id" ]]; then
    # log4j also writes to stdout: keep only the 22-char base64url id line
    "${JAVA_BASE[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOG" \
      | grep -E '^[A-Za-z0-9_-]{22}$' | tail -n1 >"$KSTATE/cluster-id" || true
  fi
  cluster_id="$(cat "$KSTATE/cluster-id")"
  [[ -n "$cluster_id" ]] || die "$NAME" "could not generate a cluster id (see $LOG)"
  log "$NAME" "formatting storage $DATA (cluster id $cluster_id)…"
  if ! "${JAVA_BASE[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" >>"$LOG" 2>&1; then
    show_log_tail "$NAME" 20
    die "$NAME" "kafka-storage format failed"
  fi
fi

log "$NAME" "starting…"
LOG_OFFSET="$(stat -c %s "$LOG")"
echo "$LOG_OFFSET" >"$KSTATE/log-offset"   # where this run's lines begin
jvm_t0="$(now_ms)"
# shellcheck disable=SC2086  # HEAP_OPTS may hold several words
# The serial collector: a dev broker's young collections of a 512 MB heap are short, and unlike G1 it
# runs no concurrent or periodic GC threads between them. -UsePerfData: no hsperfdata file, and no
# sampling of it every 50 ms (jps and jstat do not see the broker; jcmd still does). Both for the idle
# cost on a 2-core machine (docs/benchmarks.md, "Cost per order").
spawn "$NAME" "${JAVA_BASE[@]:0:1}" $HEAP_OPTS \
  -XX:+UseSerialGC -XX:-UsePerfData \
  "${JAVA_BASE[@]:1}" kafka.Kafka "$PROPS"
wait_until "$NAME" "$DEADLINE_S" kafka_ready
log "$NAME" "ready in $(elapsed_since "$t0") (JVM start to 'Kafka Server started': $(elapsed_since "$jvm_t0")) on 127.0.0.1:$PORT, pid $(read_pid "$NAME")"
