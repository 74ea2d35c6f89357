#!/usr/bin/env bash
# A real Apache Kafka broker for tests and local development, without Docker: the broker's jars come
# from Maven Central (scripts/kafka/pom.xml) into a cache outside the repository, and the broker
# runs in KRaft mode (combined broker + controller) on 127.0.0.1. See docs/operating/kafka-for-tests.md.
#
#   kafka.sh provision                                   fetch the jars once (needs java 17+, mvn)
#   kafka.sh start  [--dir DIR] [--port 19092] [--keep-data]   one node; prints the bootstrap address
#                   [--sasl-ssl-port P] [--mtls-port P] [--secrets DIR]
#                   extra listeners for authentication tests: SASL_SSL (SCRAM-SHA-256/512, PLAIN)
#                   and SSL with client certificates required; see "Secure listeners" below
#   kafka.sh stop   [--dir DIR]
#   kafka.sh status [--dir DIR]                          prints the address; exit 1 if not running
#   kafka.sh cluster start  [--dir DIR] [--base-port 29092]    three nodes; prints the bootstrap list
#   kafka.sh cluster stop   [--dir DIR]
#   kafka.sh cluster status [--dir DIR]
#   kafka.sh cluster pid N          [--dir DIR]          node N's broker pid (for kill -9 tests)
#   kafka.sh cluster restart-node N [--dir DIR]          (re)starts node N on its existing data
#
# Secure listeners (one node only): the PLAINTEXT listener stays (readiness probe, inter-broker), and
# the broker reads from the secrets directory (default DIR/secrets): broker.p12 (PKCS12 keystore:
# the broker's key and certificate chain), ca.p12 (PKCS12 truststore: the CA that signs client
# certificates; for --mtls-port), store-password (of both stores), scram-users (lines "NAME
# PASSWORD": SCRAM-SHA-256 and -512 credentials created at format time, and PLAIN logins).
#
# Only the bootstrap address goes to stdout, so callers can capture it; progress goes to stderr.
# Environment: PAYSTREAM_CACHE (jar cache root), KAFKA_VERSION (default: pom.xml), KAFKA_HEAP
# (default 512m), KAFKA_JVM_OPTS (extra JVM flags), JAVA_HOME, KAFKA_READY_TIMEOUT_MS,
# KAFKA_STOP_TIMEOUT_S (SIGKILL after; default 30 for one node, 10 for a cluster).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="${PAYSTREAM_CACHE:-$HOME/.cache/paystream}"
version="${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")}"
libs="$cache/kafka-$version/libs"
tmp_root="${TMPDIR:-/tmp}"
uid=$(id -u)
ready_timeout_ms="${KAFKA_READY_TIMEOUT_MS:-90000}"
stop_timeout_s="${KAFKA_STOP_TIMEOUT_S:-30}"
# A cluster's data is thrown away at the next start, and a node that has lost its controller quorum
# (the others already stopped, or one was killed) can wait a long time in its shutdown.
cluster_stop_timeout_s="${KAFKA_STOP_TIMEOUT_S:-10}"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# Controllers listen on the broker port + 100 (19092 → 19192; 29092..29094 → 29192..29194).
controller_port_offset=100
cluster_size=3

log() { echo "kafka: $*" >&2; }
die() { echo "kafka: error: $*" >&2; exit 1; }

# --- provisioning -------------------------------------------------------------------------------

provision() {
  [ -f "$libs/.complete" ] && return 0
  command -v "$java_bin" >/dev/null || die "java not found (Kafka $version needs Java 17 or newer)"
  command -v mvn >/dev/null || die "mvn not found (it fetches the Kafka jars from Maven Central)"
  local java_major
  java_major=$("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "${java_major:-0}" -ge 17 ] 2>/dev/null || die "Kafka $version needs Java 17 or newer, found ${java_major:-unknown}"
  mkdir -p "$cache"
  # Two test runs on a new machine may provision at once; the second waits and then finds the jars.
  exec 8>"$cache/kafka-$version.lock"
  flock 8
  if [ ! -f "$libs/.complete" ]; then
    log "fetching Apache Kafka $version jars from Maven Central into $libs"
    rm -rf "$libs.partial"
    # Maven's own output is only worth reading when it fails.
    mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs.partial" >"$cache/kafka-$version.mvn.log" 2>&1 \
      || { cat "$cache/kafka-$version.mvn.log" >&2; die "mvn could not fetch org.apache.kafka:kafka_2.13:$version"; }
    [ -f "$libs.partial/kafka_2.13-$version.jar" ] || die "kafka_2.13-$version.jar missing after mvn"
    rm -rf "$libs"
    mv "$libs.partial" "$libs"
    touch "$libs/.complete"
  fi
  exec 8>&-
}

# --- one node -----------------------------------------------------------------------------------

# JVM flags tuned for starting fast on a small machine, not for throughput: a serial collector and
# only the C1 compiler leave the two cores to the tests; 512 MB of heap is plenty for test traffic.
jvm_flags() {
  local flags=(-Xms128m "-Xmx${KAFKA_HEAP:-512m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$here/log4j2.properties")
  # shellcheck disable=SC2206 # word splitting of user-supplied flags is intended
  [ -n "${KAFKA_JVM_OPTS:-}" ] && flags+=(${KAFKA_JVM_OPTS})
  printf '%s\n' "${flags[@]}"
}

# write_config NODE_DIR NODE_ID BROKER_PORT VOTERS REPLICATION MIN_ISR
write_config() {
  local node_dir=$1 node_id=$2 port=$3 voters=$4 replication=$5 min_isr=$6
  cat >"$node_dir/server.properties" <<EOF
# Written by scripts/kafka/kafka.sh; rewritten on every start.
process.roles=broker,controller
node.id=$node_id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + controller_port_offset))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$node_dir/data

# Our code declares and creates every topic; a typo must fail, not create a stray topic.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=$replication
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replication
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_isr
# Fewer internal partitions than the default 50: the first consumer group and the first
# transactional producer of a run wait for these to be created and loaded.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
share.coordinator.state.topic.num.partitions=10

# Tests should not wait: no delay before the first rebalance, and short session timeouts allowed
# so that a test can make a consumer's death visible quickly.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
# A killed node is fenced (and its partitions get new leaders) after this long without heartbeats.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000

# Small machine: fewer threads and a smaller compaction buffer than production defaults.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.cleaner.dedupe.buffer.size=33554432
EOF
}

# Secure listeners of a single node (see the header): empty when not asked for.
sasl_ssl_port=""
mtls_port=""
secrets_dir=""

# add_secure_listeners NODE_DIR PORT: rewrites the listener lines of a single node's configuration
# and appends the TLS and SASL settings of the SASL_SSL and MTLS listeners.
add_secure_listeners() {
  local node_dir=$1 port=$2 listeners advertised protocols password
  [ -n "$sasl_ssl_port$mtls_port" ] || return 0
  [ -f "$secrets_dir/broker.p12" ] || die "no broker keystore $secrets_dir/broker.p12"
  [ -f "$secrets_dir/store-password" ] || die "no $secrets_dir/store-password"
  password=$(cat "$secrets_dir/store-password")
  listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + controller_port_offset))"
  advertised="PLAINTEXT://127.0.0.1:$port"
  protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [ -n "$sasl_ssl_port" ]; then
    listeners+=",SASL_SSL://127.0.0.1:$sasl_ssl_port"; advertised+=",SASL_SSL://127.0.0.1:$sasl_ssl_port"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  if [ -n "$mtls_port" ]; then
    [ -f "$secrets_dir/ca.p12" ] || die "--mtls-port needs the client CA's truststore $secrets_dir/ca.p12"
    listeners+=",MTLS://127.0.0.1:$mtls_port"; advertised+=",MTLS://127.0.0.1:$mtls_port"
    protocols+=",MTLS:SSL"
  fi
  sed -i -e "s|^listeners=.*|listeners=$listeners|" -e "s|^advertised.listeners=.*|advertised.listeners=$advertised|" \
    -e "s|^listener.security.protocol.map=.*|listener.security.protocol.map=$protocols|" "$node_dir/server.properties"
  # The store password goes into this file: readable by its owner only.
  chmod 600 "$node_dir/server.properties"
  cat >>"$node_dir/server.properties" <<EOF

# Secure listeners (kafka.sh --sasl-ssl-port / --mtls-port), with the secrets of $secrets_dir.
ssl.keystore.type=PKCS12
ssl.keystore.location=$secrets_dir/broker.p12
ssl.keystore.password=$password
ssl.key.password=$password
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$(plain_logins);
EOF
  [ -z "$mtls_port" ] || cat >>"$node_dir/server.properties" <<EOF
listener.name.mtls.ssl.client.auth=required
listener.name.mtls.ssl.truststore.type=PKCS12
listener.name.mtls.ssl.truststore.location=$secrets_dir/ca.p12
listener.name.mtls.ssl.truststore.password=$password
EOF
}

# The PLAIN login module's users (user_NAME="PASSWORD"), from the secrets' scram-users.
plain_logins() {
  local name password
  [ -f "$secrets_dir/scram-users" ] || return 0
  while read -r name password; do
    [ -n "$name" ] && printf ' user_%s="%s"' "$name" "$password"
  done <"$secrets_dir/scram-users"
}

# The StorageTool arguments that create the SCRAM credentials of the secrets' scram-users.
scram_arguments() {
  local name password mechanism
  [ -n "$sasl_ssl_port" ] && [ -f "$secrets_dir/scram-users" ] || return 0
  while read -r name password; do
    [ -n "$name" ] || continue
    for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
      printf '%s\n' --add-scram "$mechanism=[name=$name,password=$password]"
    done
  done <"$secrets_dir/scram-users"
}

# format NODE_DIR CLUSTER_ID: creates meta.properties and the bootstrap metadata in a fresh data dir.
format() {
  local node_dir=$1 cluster_id=$2 scram=()
  rm -rf "$node_dir/data"
  mapfile -t scram < <(scram_arguments)
  "$java_bin" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
    "-Dlog4j2.configurationFile=$here/log4j2.properties" -cp "$libs/*" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$node_dir/server.properties" ${scram[@]+"${scram[@]}"} \
    >"$node_dir/format.log" 2>&1 </dev/null 8>&- 9>&- \
    || { tail -20 "$node_dir/format.log" >&2; die "formatting $node_dir/data failed"; }
}

# launch NODE_DIR: starts the broker in its own session (so a Ctrl-C or a finished job in the
# caller's terminal does not take it down) and records its pid.
launch() {
  local node_dir=$1 flags
  mapfile -t flags < <(jvm_flags)
  : >"$node_dir/kafka.log"
  setsid "$java_bin" "${flags[@]}" -cp "$libs/*" kafka.Kafka "$node_dir/server.properties" \
    >>"$node_dir/kafka.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$node_dir/kafka.pid"
}

# running_pid NODE_DIR: prints the broker's pid if it is alive (and really is that node's broker,
# not an unrelated process that reused the pid).
running_pid() {
  local node_dir=$1 pid
  [ -f "$node_dir/kafka.pid" ] || return 1
  pid=$(cat "$node_dir/kafka.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$node_dir/server.properties" || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_ready BOOTSTRAP EXPECTED_BROKERS PIDS [NODE_IDS] (lists comma-separated)
wait_ready() {
  local bootstrap=$1 expected=$2 pids=$3 node_ids=${4:-}
  if [ -d "$repo/node_modules/@platformatic/kafka" ]; then
    sh "$repo/scripts/node24.sh" "$here/probe.ts" --brokers "$bootstrap" --expect-brokers "$expected" \
      --node-ids "$node_ids" --pids "$pids" --timeout-ms "$ready_timeout_ms" >&2
    return
  fi
  # Before `npm ci` there is no Kafka client: fall back to the broker's own "started" log line.
  log "node_modules missing; waiting for the brokers' startup log line instead of a metadata request"
  local deadline=$((SECONDS + ready_timeout_ms / 1000)) pid
  for pid in ${pids//,/ }; do
    local node_log
    node_log=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -o '[^ ]*/server.properties' | sed 's:/server.properties$:/kafka.log:')
    until grep -q 'Kafka Server started' "$node_log" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || return 1
      [ $SECONDS -lt $deadline ] || return 1
      sleep 0.2
    done
  done
}

# stop_pids SECONDS PID...: SIGTERM (a clean shutdown), then SIGKILL whatever is left at the deadline.
stop_pids() {
  local timeout_s=$1; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  local deadline=$((SECONDS + timeout_s)) killed=0 pid alive
  while :; do
    alive=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [ ${#alive[@]} -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ] && [ $killed = 0 ]; then
      log "pid ${alive[*]} still running after ${timeout_s}s; sending SIGKILL"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      killed=1
    fi
    sleep 0.1
  done
}

new_cluster_id() {
  # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding. Kafka rejects ids that start
  # with '-' (they look like command-line flags), so draw again in that case.
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [ "${id:0:1}" != "-" ] && echo "$id" && return
  done
}

# lock_dir DIR: serializes start/stop on one directory (a test run and a human may race).
lock_dir() {
  mkdir -p "$1"
  exec 9>"$1/.lock"
  flock 9
}

fail_start() {
  local node_dir=$1 message=$2
  log "last lines of $node_dir/kafka.log:"
  tail -30 "$node_dir/kafka.log" >&2 || true
  die "$message"
}

# --- single node --------------------------------------------------------------------------------

single_start() {
  local dir=$1 port=$2 keep_data=$3 pid
  lock_dir "$dir"
  if pid=$(running_pid "$dir"); then
    wait_ready "$(single_address "$dir")" 1 "$pid" || fail_start "$dir" "the running broker (pid $pid) does not answer"
    log "already running (pid $pid, dir $dir)"
    single_address "$dir"
    return
  fi
  port_in_use "$port" && die "port $port is in use by another process (choose one with --port)"
  port_in_use $((port + controller_port_offset)) && die "controller port $((port + controller_port_offset)) is in use"
  local extra
  for extra in $sasl_ssl_port $mtls_port; do port_in_use "$extra" && die "port $extra is in use by another process"; done
  provision
  local started_at=$SECONDS
  write_config "$dir" 1 "$port" "1@127.0.0.1:$((port + controller_port_offset))" 1 1
  add_secure_listeners "$dir" "$port"
  if [ "$keep_data" = 1 ] && [ -f "$dir/data/meta.properties" ]; then
    log "reusing the data in $dir/data"
  else
    format "$dir" "$(new_cluster_id)"
  fi
  launch "$dir"
  pid=$(cat "$dir/kafka.pid")
  log "starting Apache Kafka $version (pid $pid, log $dir/kafka.log)"
  if ! wait_ready "127.0.0.1:$port" 1 "$pid"; then
    stop_pids 5 "$pid"
    fail_start "$dir" "the broker did not become ready"
  fi
  log "ready in $((SECONDS - started_at))s"
  single_address "$dir"
}

# The address of the broker in DIR, as its configuration advertises it.
single_address() { sed -n 's|^advertised.listeners=PLAINTEXT://\([^,]*\).*|\1|p' "$1/server.properties"; }

single_stop() {
  local dir=$1 pid
  [ -d "$dir" ] || { log "not running (no $dir)"; return; }
  lock_dir "$dir"
  if pid=$(running_pid "$dir"); then
    log "stopping pid $pid"
    stop_pids "$stop_timeout_s" "$pid"
  else
    log "not running"
  fi
  rm -f "$dir/kafka.pid"
}

single_status() {
  local dir=$1 pid
  pid=$(running_pid "$dir") || { log "not running"; return 1; }
  log "running (pid $pid, dir $dir)"
  single_address "$dir"
}

# --- three-node cluster -------------------------------------------------------------------------

cluster_bootstrap() {
  local base=$1 n list=()
  for ((n = 1; n <= cluster_size; n++)); do list+=("127.0.0.1:$((base + n - 1))"); done
  (IFS=,; echo "${list[*]}")
}

cluster_voters() {
  local base=$1 n list=()
  for ((n = 1; n <= cluster_size; n++)); do list+=("$n@127.0.0.1:$((base + controller_port_offset + n - 1))"); done
  (IFS=,; echo "${list[*]}")
}

# The base port is recorded at start so that pid / restart-node / stop need only the directory.
cluster_base_port() {
  local dir=$1
  [ -f "$dir/base-port" ] || die "no cluster in $dir (run: kafka.sh cluster start --dir $dir)"
  cat "$dir/base-port"
}

cluster_start() {
  local dir=$1 base=$2 n pids=() node_dir pid running=0
  lock_dir "$dir"
  for ((n = 1; n <= cluster_size; n++)); do running_pid "$dir/node-$n" >/dev/null && running=$((running + 1)); done
  if [ $running -gt 0 ]; then
    # Some nodes alive: bring back the missing ones on their data, never re-format a live cluster.
    base=$(cluster_base_port "$dir")
    for ((n = 1; n <= cluster_size; n++)); do
      running_pid "$dir/node-$n" >/dev/null || cluster_launch_node "$dir" "$n" "$base"
      pids+=("$(cat "$dir/node-$n/kafka.pid")")
    done
    wait_ready "$(cluster_bootstrap "$base")" $cluster_size "$(IFS=,; echo "${pids[*]}")" \
      || die "the cluster in $dir does not answer"
    log "already running (dir $dir)"
    cluster_bootstrap "$base"
    return
  fi
  for ((n = 0; n < cluster_size; n++)); do
    port_in_use $((base + n)) && die "port $((base + n)) is in use by another process (choose --base-port)"
    port_in_use $((base + controller_port_offset + n)) && die "controller port $((base + controller_port_offset + n)) is in use"
  done
  provision
  local started_at=$SECONDS cluster_id
  cluster_id=$(new_cluster_id)
  echo "$base" >"$dir/base-port"
  # All nodes share one cluster id; the three formats run in parallel (each is a JVM start).
  local format_pids=()
  for ((n = 1; n <= cluster_size; n++)); do
    node_dir="$dir/node-$n"
    mkdir -p "$node_dir"
    write_config "$node_dir" "$n" $((base + n - 1)) "$(cluster_voters "$base")" 3 2
    format "$node_dir" "$cluster_id" &
    format_pids+=($!)
  done
  for pid in "${format_pids[@]}"; do wait "$pid" || die "formatting the cluster failed"; done
  for ((n = 1; n <= cluster_size; n++)); do
    launch "$dir/node-$n"
    pids+=("$(cat "$dir/node-$n/kafka.pid")")
  done
  log "starting a $cluster_size-node Apache Kafka $version cluster (pids ${pids[*]}, logs $dir/node-*/kafka.log)"
  if ! wait_ready "$(cluster_bootstrap "$base")" $cluster_size "$(IFS=,; echo "${pids[*]}")"; then
    stop_pids 5 "${pids[@]}"
    for ((n = 1; n <= cluster_size; n++)); do tail -5 "$dir/node-$n/kafka.log" >&2 || true; done
    die "the cluster did not become ready"
  fi
  log "ready in $((SECONDS - started_at))s"
  cluster_bootstrap "$base"
}

# cluster_launch_node DIR N BASE: starts node N on its existing data (after a kill or a stop).
cluster_launch_node() {
  local dir=$1 n=$2 base=$3 node_dir="$dir/node-$2"
  [ -f "$node_dir/data/meta.properties" ] || die "node $n in $dir has no data; start the cluster first"
  write_config "$node_dir" "$n" $((base + n - 1)) "$(cluster_voters "$base")" 3 2
  launch "$node_dir"
  log "started node $n (pid $(cat "$node_dir/kafka.pid"))"
}

cluster_stop() {
  local dir=$1 n pid pids=()
  [ -d "$dir" ] || { log "not running (no $dir)"; return; }
  lock_dir "$dir"
  for ((n = 1; n <= cluster_size; n++)); do
    pid=$(running_pid "$dir/node-$n") && pids+=("$pid")
    rm -f "$dir/node-$n/kafka.pid"
  done
  [ ${#pids[@]} -gt 0 ] || { log "not running"; return; }
  # All at once: a node stopped alone waits for the others to take over its partitions, and the
  # last ones have no controller quorum left to talk to.
  log "stopping pids ${pids[*]}"
  stop_pids "$cluster_stop_timeout_s" "${pids[@]}"
}

cluster_status() {
  local dir=$1 base n pid up=0
  base=$(cluster_base_port "$dir")
  for ((n = 1; n <= cluster_size; n++)); do
    if pid=$(running_pid "$dir/node-$n"); then
      log "node $n: running (pid $pid, port $((base + n - 1)))"
      up=$((up + 1))
    else
      log "node $n: down"
    fi
  done
  cluster_bootstrap "$base"
  [ $up -gt 0 ]
}

cluster_pid() {
  local dir=$1 n=$2
  running_pid "$dir/node-$n" || die "node $n is not running"
}

cluster_restart_node() {
  local dir=$1 n=$2 base pid
  base=$(cluster_base_port "$dir")
  lock_dir "$dir"
  if pid=$(running_pid "$dir/node-$n"); then
    log "stopping node $n (pid $pid)"
    stop_pids "$stop_timeout_s" "$pid"
  fi
  cluster_launch_node "$dir" "$n" "$base"
  # Ready when the restarted node itself answers and lists itself: until the controller has
  # unfenced it, the node leaves itself out. (Asking another node is not enough: after a kill -9
  # the others still list the dead incarnation until its session times out.)
  wait_ready "127.0.0.1:$((base + n - 1))" 1 "$(cat "$dir/node-$n/kafka.pid")" "$n" \
    || fail_start "$dir/node-$n" "node $n did not rejoin"
  cluster_bootstrap "$base"
}

# --- command line -------------------------------------------------------------------------------

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }

absolute() { realpath -m "$1"; }

main() {
  local command=${1:-}; [ $# -gt 0 ] && shift
  local sub="" node=""
  if [ "$command" = cluster ]; then
    sub=${1:-}; [ $# -gt 0 ] && shift
    case "$sub" in pid | restart-node) node=${1:-}; [ $# -gt 0 ] && shift ;; esac
  fi
  local dir="" port=19092 base_port=29092 keep_data=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) dir=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --base-port) base_port=$2; shift 2 ;;
      --keep-data) keep_data=1; shift ;;
      --sasl-ssl-port) sasl_ssl_port=$2; shift 2 ;;
      --mtls-port) mtls_port=$2; shift 2 ;;
      --secrets) secrets_dir=$2; shift 2 ;;
      -h | --help) usage ;;
      *) die "unknown argument: $1" ;;
    esac
  done
  case "$command" in
    provision) provision; log "Apache Kafka $version jars in $libs" ;;
    start)
      dir=$(absolute "${dir:-$tmp_root/paystream-kafka-$uid}")
      secrets_dir=$(absolute "${secrets_dir:-$dir/secrets}")
      single_start "$dir" "$port" "$keep_data" ;;
    stop) single_stop "$(absolute "${dir:-$tmp_root/paystream-kafka-$uid}")" ;;
    status) single_status "$(absolute "${dir:-$tmp_root/paystream-kafka-$uid}")" ;;
    cluster)
      dir=$(absolute "${dir:-$tmp_root/paystream-kafka-cluster-$uid}")
      case "$sub" in
        start) cluster_start "$dir" "$base_port" ;;
        stop) cluster_stop "$dir" ;;
        status) cluster_status "$dir" ;;
        pid | restart-node)
          [[ "$node" =~ ^[1-9][0-9]*$ ]] && [ "$node" -le $cluster_size ] || die "cluster $sub needs a node number 1..$cluster_size"
          if [ "$sub" = pid ]; then cluster_pid "$dir" "$node"; else cluster_restart_node "$dir" "$node"; fi ;;
        *) usage ;;
      esac ;;
    *) usage ;;
  esac
}

main "$@"
