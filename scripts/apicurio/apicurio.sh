#!/usr/bin/env bash
# Apicurio Registry, a third-party schema registry that serves the Confluent API at /apis/ccompat/v7,
# for testing paystream's registry client against a registry it did not write. Without Docker: the
# `io.apicurio:apicurio-registry-app` tar.gz (classifier `all`, a Quarkus app) comes from Maven
# Central into a cache outside the repository and runs on 127.0.0.1 with in-memory storage (H2).
# See docs/schema-registry.md.
#
#   apicurio.sh provision                  fetch and unpack the app once
#   apicurio.sh start  [--port 18081]      prints the Confluent API URL once it answers
#   apicurio.sh stop   [--port 18081]
#   apicurio.sh status [--port 18081]      prints the URL; exit 1 if not running
#
# Only the URL goes to stdout, so callers can capture it; progress goes to stderr.
#
# Version: the newest release with an `all` tar.gz that the installed Java runs. 3.3.x is compiled
# for Java 21 (class file 65); Debian bookworm ships Java 17 only and Maven Central has no JDK, so
# on Java 17 this takes 3.0.9, the newest release built for Java 11+. Set APICURIO_VERSION to choose.
#
# Environment: PAYSTREAM_CACHE (cache root), APICURIO_VERSION, APICURIO_PORT, APICURIO_HEAP
# (default 384m), APICURIO_READY_TIMEOUT_S (default 180), JAVA_HOME.
set -euo pipefail

cache="${PAYSTREAM_CACHE:-$HOME/.cache/paystream}"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
port="${APICURIO_PORT:-18081}"
ready_timeout_s="${APICURIO_READY_TIMEOUT_S:-180}"
central="https://repo1.maven.org/maven2/io/apicurio/apicurio-registry-app"

log() { echo "apicurio: $*" >&2; }
die() { echo "apicurio: error: $*" >&2; exit 1; }

java_major() {
  "$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}

choose_version() {
  if [ -n "${APICURIO_VERSION:-}" ]; then echo "$APICURIO_VERSION"; return; fi
  local major
  major=$(java_major)
  [ "${major:-0}" -ge 17 ] 2>/dev/null || die "Apicurio Registry needs Java 17 or newer, found ${major:-none}"
  if [ "$major" -ge 21 ]; then echo 3.3.3; else echo 3.0.9; fi
}

# provision VERSION: the app unpacked in $cache/apicurio-VERSION/app.
provision() {
  local version=$1 home="$cache/apicurio-$1"
  [ -f "$home/app/.complete" ] && return 0
  mkdir -p "$home"
  # Two test runs on a new machine may provision at once; the second waits, then finds the app.
  exec 8>"$home/provision.lock"
  flock 8
  if [ ! -f "$home/app/.complete" ]; then
    local archive="$home/apicurio-registry-app-$version-all.tar.gz"
    [ -f "$archive" ] || download "$version" "$archive"
    rm -rf "$home/app.partial" "$home/app"
    mkdir -p "$home/app.partial"
    tar -xzf "$archive" -C "$home/app.partial"
    mv "$home/app.partial" "$home/app"
    touch "$home/app/.complete"
  fi
  exec 8>&-
}

# download VERSION ARCHIVE: through Maven first. Some releases (3.0.9) miss their parent POM on
# Maven Central, which makes Maven refuse the artifact; then the same file is fetched from Maven
# Central directly and checked against its published SHA-1.
download() {
  local version=$1 archive=$2 partial="$2.partial"
  log "fetching io.apicurio:apicurio-registry-app:$version:tar.gz:all from Maven Central"
  if command -v mvn >/dev/null && mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact="io.apicurio:apicurio-registry-app:$version:tar.gz:all" -DoutputDirectory="$(dirname "$archive")" \
      >"$archive.mvn.log" 2>&1; then
    return 0
  fi
  log "mvn could not resolve it (see $archive.mvn.log); fetching the file directly"
  local url="$central/$version/apicurio-registry-app-$version-all.tar.gz" expected actual
  curl -fsSL --retry 3 -o "$partial" "$url" || die "could not download $url"
  expected=$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40) || die "could not download $url.sha1"
  actual=$(sha1sum "$partial" | cut -c1-40)
  [ "$expected" = "$actual" ] || { rm -f "$partial"; die "SHA-1 mismatch for $url: expected $expected, got $actual"; }
  mv "$partial" "$archive"
}

# The runnable jar: quarkus-run.jar (fast-jar layout, 3.3) or *-runner.jar (uber-jar, 3.0).
runner_jar() {
  local app=$1
  if [ -f "$app/quarkus-run.jar" ]; then echo "$app/quarkus-run.jar"; return; fi
  local jar
  jar=$(ls "$app"/*-runner.jar 2>/dev/null | head -1)
  [ -n "$jar" ] || die "no runnable jar in $app"
  echo "$jar"
}

run_dir() { echo "$cache/apicurio-run/$port"; }
url() { echo "http://127.0.0.1:$port/apis/ccompat/v7"; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running_pid() {
  local pid
  pid=$(cat "$(run_dir)/apicurio.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}
answers() { curl -fsS -o /dev/null --max-time 2 "$(url)/subjects" 2>/dev/null; }

start() {
  local pid
  if pid=$(running_pid) && answers; then
    log "already running (pid $pid)"
    url
    return 0
  fi
  port_in_use "$port" && die "port $port is in use by another process (choose one with --port)"
  local version home jar dir
  version=$(choose_version)
  provision "$version"
  home="$cache/apicurio-$version"
  jar=$(runner_jar "$home/app")
  dir=$(run_dir)
  mkdir -p "$dir"
  : >"$dir/apicurio.log"
  local started_ms=$(($(date +%s%N) / 1000000))
  # In-memory H2 storage: every start is empty. Serial GC and C1 only: start fast on 2 cores.
  setsid "$java_bin" -Xms64m "-Xmx${APICURIO_HEAP:-384m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.datasource.url="jdbc:h2:mem:registry_db" \
    -jar "$jar" >>"$dir/apicurio.log" 2>&1 </dev/null 8>&- &
  pid=$!
  echo "$pid" >"$dir/apicurio.pid"
  echo "$version" >"$dir/version"
  local deadline=$((SECONDS + ready_timeout_s))
  until answers; do
    kill -0 "$pid" 2>/dev/null || { tail -30 "$dir/apicurio.log" >&2; die "Apicurio $version exited during startup"; }
    [ $SECONDS -lt $deadline ] || { stop_pid "$pid"; tail -30 "$dir/apicurio.log" >&2; die "not ready after ${ready_timeout_s}s"; }
    sleep 0.25
  done
  log "Apicurio Registry $version ready on port $port in $(($(date +%s%N) / 1000000 - started_ms)) ms (pid $pid, log $dir/apicurio.log)"
  url
}

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  local pid
  if pid=$(running_pid); then
    stop_pid "$pid"
    log "stopped (pid $pid)"
  fi
  # Its storage was in memory: nothing in the run directory is worth keeping after a clean stop.
  rm -rf "$(run_dir)"
}

status() {
  running_pid >/dev/null && answers || { log "not running on port $port"; exit 1; }
  url
}

command=${1:-}
shift || true
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
case "$command" in
  provision) provision "$(choose_version)" ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: apicurio.sh provision | start [--port N] | stop [--port N] | status [--port N]" ;;
esac
