# shellcheck shell=bash
# Shared helpers for deploy/local/stack.sh. Sourced, never executed.

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$LOCAL_DIR/../.." && pwd)"
CACHE_DIR="${TRIPLINE_CACHE_DIR:-$REPO_ROOT/.cache}"
STACK_DIR="$CACHE_DIR/stack"

# shellcheck source=../versions.env
. "$LOCAL_DIR/versions.env"
ES_VERSION="$ELASTICSEARCH_VERSION"

# Ports (defaults avoid the usual 9092/9200/9300 so a developer's own services don't clash).
KAFKA_PORT="${TRIPLINE_KAFKA_PORT:-39092}"
KAFKA_CONTROLLER_PORT="${TRIPLINE_KAFKA_CONTROLLER_PORT:-39093}"
KAFKA_SASL_PORT="${TRIPLINE_KAFKA_SASL_PORT:-39094}"
ES_HTTP_PORT="${TRIPLINE_ES_PORT:-39200}"
ES_TRANSPORT_PORT="${TRIPLINE_ES_TRANSPORT_PORT:-39300}"
STACK_HOST=127.0.0.1

KAFKA_HEAP="${TRIPLINE_KAFKA_HEAP:--Xms256m -Xmx768m}"
ES_HEAP="${TRIPLINE_ES_HEAP:--Xms512m -Xmx1g}"
STARTUP_TIMEOUT="${TRIPLINE_STACK_TIMEOUT:-120}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# Maven: default local repository (~/.m2) unless TRIPLINE_M2_REPO is set.
mvn_cmd() {
  local args=(-B -q -Dstyle.color=never)
  if [[ -n "${TRIPLINE_M2_REPO:-}" ]]; then args+=("-Dmaven.repo.local=$TRIPLINE_M2_REPO"); fi
  command -v mvn >/dev/null || die "mvn not found (install the 'maven' package; .ci/run does this)"
  # Maven (jansi) writes escape codes to stdout even with -q; stdout is reserved for endpoints.
  mvn "${args[@]}" "$@" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g; /^$/d' >&2
  return "${PIPESTATUS[0]}"
}

# Prints the major version of the JDK at $1, or nothing.
java_major() {
  local home="$1" v
  [[ -x "$home/bin/java" ]] || return 0
  v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null || true)"
  if [[ -z "$v" ]]; then
    v="$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  fi
  printf '%s' "$v"
}

# find_jdk MIN_MAJOR [PREFERRED_HOME...]: prints a JDK home whose major >= MIN_MAJOR.
find_jdk() {
  local min="$1"; shift
  local candidates=("$@") c m
  if [[ -n "${JAVA_HOME:-}" ]]; then candidates+=("$JAVA_HOME"); fi
  if command -v java >/dev/null; then candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"); fi
  for c in /usr/lib/jvm/*; do candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [[ -n "$c" && -d "$c" ]] || continue
    m="$(java_major "$c")"
    if [[ -n "$m" && "$m" -ge "$min" ]]; then printf '%s' "$c"; return 0; fi
  done
  return 1
}

# pid_alive PIDFILE: true if the file names a live process.
pid_alive() {
  local f="$1" pid
  [[ -s "$f" ]] || return 1
  pid="$(tr -dc '0-9' <"$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

pid_of() { tr -dc '0-9' <"$1" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# stop_pid NAME PIDFILE: TERM, wait up to 30 s, then KILL.
stop_pid() {
  local name="$1" f="$2" pid i
  if ! pid_alive "$f"; then rm -f "$f"; log "$name: not running"; return 0; fi
  pid="$(pid_of "$f")"
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still alive after 30 s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$f"
}

# Java processes started from our cache directory (classpath / es.path.home live there).
our_java_pids() {
  local pat
  for pat in "$@"; do
    pgrep -f -- "java.*$pat" || true
  done | sort -u
}
