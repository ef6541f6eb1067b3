#!/usr/bin/env bash
# Local real stack for tripline: Kafka (KRaft) + Elasticsearch, no Docker.
#   deploy/local/stack.sh up|down|status
# Versions: deploy/local/versions.env. Ports/env: docs/local-stack.md.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/kafka.sh
. "$LOCAL_DIR/lib/kafka.sh"
# shellcheck source=lib/elasticsearch.sh
. "$LOCAL_DIR/lib/elasticsearch.sh"

print_endpoints() {
  echo "KAFKA_BROKERS=$STACK_HOST:$KAFKA_PORT"
  if [[ "$KAFKA_SASL_ENABLED" == 1 ]] && kafka_sasl_listening; then kafka_sasl_endpoints; fi
  echo "ELASTICSEARCH_URL=$ES_URL"
}

cmd_up() {
  [[ "$(id -u)" == 0 ]] || die "run as root (Elasticsearch runs as a dedicated user created by this script)"
  mkdir -p "$STACK_DIR"
  local t0=$SECONDS
  # Fetch both first (Maven, cached), then start both so the JVMs boot in parallel.
  kafka_fetch
  es_fetch
  kafka_start
  es_start
  kafka_wait
  if [[ "$KAFKA_SASL_ENABLED" == 1 ]]; then kafka_sasl_ensure_users; fi
  es_wait
  log "stack up in $((SECONDS - t0))s (logs: $STACK_DIR)"
  print_endpoints
}

cmd_down() {
  kafka_stop
  es_stop
  # Anything of ours left behind (e.g. a lost pid file)? Match on our own cache path only.
  local left
  left="$(our_java_pids "$KAFKA_LIBS" "$(readlink -f "$ES_LINK" 2>/dev/null || echo "$ES_LINK")" "tripline.stack=$CACHE_DIR")"
  if [[ -n "$left" ]]; then
    log "stray java processes from $CACHE_DIR: $(tr '\n' ' ' <<<"$left")— terminating"
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    sleep 5
    left="$(our_java_pids "$KAFKA_LIBS" "tripline.stack=$CACHE_DIR")"
    # shellcheck disable=SC2086
    [[ -z "$left" ]] || kill -KILL $left 2>/dev/null || true
  fi
  log "stack down"
}

cmd_status() {
  local rc=0
  kafka_status || rc=1
  es_status || rc=1
  if ((rc == 0)); then print_endpoints; fi
  return $rc
}

# up/down are serialized: several test runs in the same checkout may call 'up' at once.
with_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  if ! flock -n 9; then
    log "waiting for another stack.sh in this checkout (lock $STACK_DIR/.lock)"
    flock -w 900 9 || die "timed out waiting for the stack lock"
  fi
  "$@"
}

case "${1:-}" in
  up) with_lock cmd_up ;;
  down) with_lock cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
