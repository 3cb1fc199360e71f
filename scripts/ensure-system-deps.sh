#!/usr/bin/env bash
# Makes sure the system programs the tests talk to are here, installing them with Debian's apt-get
# when missing: redis-server and redis-cli (real Redis for the store, Cluster, Sentinel and fault
# tests), chromium (the playground's browser test) and PostgreSQL (the PostgreSQL store's tests use
# the server on 127.0.0.1:5432, and its crash tests start their own from the same binaries) and
# pgbouncer (the PostgreSQL store behind PgBouncer in transaction mode).
# Quick when everything is present. Off Debian, or without root or sudo, it says what to install.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if ! command -v apt-get >/dev/null 2>&1 || { [ -n "$sudo" ] && ! sudo -n true 2>/dev/null; }; then
    cat >&2 <<MSG
The tests need these system packages, which are missing: ${missing[*]}
This machine has no apt-get, or no root / passwordless sudo to run it. Install them with your
package manager (Debian/Ubuntu names above; on macOS: brew install redis postgresql pgbouncer chromium),
or run only the unit tier, which needs none of them: npm run test:unit
MSG
    exit 1
  fi
  echo "Installing missing system packages: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The machine's PostgreSQL on 127.0.0.1:5432 (trust auth): start Debian's cluster when it is not up.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -n "$version" ] && [ "$(id -u)" -eq 0 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
fi
