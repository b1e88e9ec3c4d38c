# shellcheck shell=bash
# Helpers shared by the service scripts in this folder, to be sourced rather than run.
#
# Each service keeps its pid, port, data and log under $MIFY_SERVICES_DIR/<service>/.
# Progress goes to stderr, so that stdout carries only the `export` lines that a
# caller can `eval`.

MIFY_SERVICES_DIR="${MIFY_SERVICES_DIR:-/tmp/mify-services}"
MIFY_SERVICE_TIMEOUT_SECONDS="${MIFY_SERVICE_TIMEOUT_SECONDS:-60}"

# Name shown in log lines, set by each service script before it logs.
SERVICE_NAME="${SERVICE_NAME:-services}"

log() {
  printf '[%s] %s: %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$SERVICE_NAME" "$*" >&2
}

# Logs an error, shows the end of a log file when one is given, and exits with status 1.
fail() {
  local message=$1 log_file=${2:-}
  log "error: $message"
  if [ -n "$log_file" ] && [ -s "$log_file" ]; then
    log "last lines of $log_file:"
    tail -n 20 "$log_file" | sed 's/^/    /' >&2
  fi
  exit 1
}

# Prints a TCP port on 127.0.0.1 that was free a moment ago. Another process can
# still take it before the service binds it, so a start that fails on the port
# reports "address already in use" in the service log.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  elif command -v node >/dev/null 2>&1; then
    node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
  else
    fail "neither python3 nor node is installed, so no free port can be picked; set the port variable of this service"
  fi
}

# Runs a command every 0.25 s until it succeeds. Fails after
# $MIFY_SERVICE_TIMEOUT_SECONDS, or at once when the process with the given pid
# exits (pass an empty pid to skip that check).
# Usage: wait_until DESCRIPTION LOG_FILE PID COMMAND...
wait_until() {
  local description=$1 log_file=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + MIFY_SERVICE_TIMEOUT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! process_running "$pid"; then
      fail "$SERVICE_NAME exited before $description; see $log_file" "$log_file"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "$SERVICE_NAME timed out after ${MIFY_SERVICE_TIMEOUT_SECONDS} s waiting until $description; see $log_file" "$log_file"
    fi
    sleep 0.25
  done
}

# Succeeds when the process exists and has not exited. An exited process that
# its parent has not reaped yet (a zombie) still passes `kill -0`, so on Linux
# its state in /proc is checked too.
process_running() {
  local pid=$1 state
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/stat" ]; then
    state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)
    [ "$state" != Z ]
  fi
}

# Succeeds when the pid stored in the given file belongs to a running process.
pid_file_alive() {
  local pid_file=$1
  [ -s "$pid_file" ] && process_running "$(cat "$pid_file")"
}

# Sends SIGTERM to the pid in the file, waits up to 10 s for it to exit, then
# sends SIGKILL. Removes the pid file.
stop_pid_file() {
  local pid_file=$1 pid
  if ! pid_file_alive "$pid_file"; then
    log "not running"
    rm -f "$pid_file"
    return 0
  fi
  pid=$(cat "$pid_file")
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while process_running "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "pid $pid still running 10 s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pid_file"
  log "stopped"
}

# Prints `export NAME=VALUE` with the value quoted for the shell, and appends the
# same line to the service's env file.
emit_export() {
  local name=$1 value=$2 env_file=$3
  local line
  line=$(printf 'export %s=%q' "$name" "$value")
  printf '%s\n' "$line"
  printf '%s\n' "$line" >>"$env_file"
}

usage_and_exit() {
  printf 'usage: %s start|stop|status\n' "$1" >&2
  exit 2
}
