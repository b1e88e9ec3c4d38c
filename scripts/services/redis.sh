#!/usr/bin/env bash
# Starts or stops a throwaway Redis server on 127.0.0.1 for development and CI.
# Nothing is written to disk: RDB snapshots and the append-only file are off.
#
#   eval "$(scripts/services/redis.sh start)"   # exports REDIS_URL
#   scripts/services/redis.sh status            # prints the export line if running
#   scripts/services/redis.sh stop
#
# Variables (all optional):
#   MIFY_SERVICES_DIR   state folder (default /tmp/mify-services), with pid and log in redis/
#   MIFY_REDIS_PORT     TCP port (default: a free port)
set -euo pipefail

SERVICE_NAME=redis
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_dir="$MIFY_SERVICES_DIR/redis"
pid_file="$service_dir/redis.pid"
log_file="$service_dir/redis.log"
port_file="$service_dir/port"
env_file="$service_dir/env"

# redis-cli has no connect timeout of its own, and a port held by another
# program may accept the connection and never reply.
ping_server() {
  local reply
  if command -v timeout >/dev/null 2>&1; then
    reply=$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) || return 1
  else
    reply=$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) || return 1
  fi
  [ "$reply" = PONG ]
}

print_exports() {
  : >"$env_file"
  emit_export REDIS_URL "redis://127.0.0.1:$1" "$env_file"
}

start() {
  command -v redis-server >/dev/null 2>&1 || fail "redis-server not found; install Debian's redis-server package (scripts/services/install.sh does)"
  mkdir -p "$service_dir"

  if pid_file_alive "$pid_file" && [ -s "$port_file" ] && ping_server "$(cat "$port_file")"; then
    log "already running on 127.0.0.1:$(cat "$port_file")"
    print_exports "$(cat "$port_file")"
    return
  fi

  local port="${MIFY_REDIS_PORT:-$(free_port)}"
  printf '%s\n' "$port" >"$port_file"
  : >"$log_file"
  log "starting on 127.0.0.1:$port (log: $log_file)"
  # Runs in the foreground of a background job, rather than with --daemonize,
  # so that $! is the server's pid and an early exit is noticed at once.
  nohup redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --save '' --appendonly no --daemonize no --dir "$service_dir" \
    </dev/null >>"$log_file" 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$pid_file"

  wait_until "it replies to PING on 127.0.0.1:$port" "$log_file" "$pid" ping_server "$port"
  log "ready on 127.0.0.1:$port"
  print_exports "$port"
}

stop() {
  if ! pid_file_alive "$pid_file"; then
    log "not running"
    rm -f "$pid_file"
    return
  fi
  local pid
  pid=$(cat "$pid_file")
  log "stopping pid $pid"

  # SHUTDOWN NOSAVE skips the final snapshot. SIGTERM, then SIGKILL, stop a
  # server that no longer replies.
  if command -v timeout >/dev/null 2>&1; then
    timeout 2 redis-cli -h 127.0.0.1 -p "$(cat "$port_file")" shutdown nosave >/dev/null 2>&1 || true
  else
    redis-cli -h 127.0.0.1 -p "$(cat "$port_file")" shutdown nosave >/dev/null 2>&1 || true
  fi
  local deadline=$((SECONDS + 5))
  while process_running "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.1
  done
  if process_running "$pid"; then
    printf '%s\n' "$pid" >"$pid_file"
    stop_pid_file "$pid_file"
  else
    rm -f "$pid_file"
    log "stopped"
  fi
}

status() {
  if pid_file_alive "$pid_file" && [ -s "$env_file" ]; then
    cat "$env_file"
  else
    log "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage_and_exit "$0" ;;
esac
