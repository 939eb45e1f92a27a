#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries for the registry tests (test/helpers/postgres.ts starts a
# throwaway server from them on 127.0.0.1 at a free port, as the `postgres` user when run as root).
# Non-interactive and idempotent: does nothing when initdb is already there.
set -euo pipefail

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin | head -n1) already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Serialise with other apt users on shared machines; plain apt-get where flock is missing.
LOCK=(); if command -v flock >/dev/null 2>&1; then LOCK=(flock /tmp/apt.lock); fi
$SUDO "${LOCK[@]}" apt-get update -qq
$SUDO "${LOCK[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# Debian's package starts a cluster on 5432; the tests use their own, so stop the system one if it runs.
$SUDO service postgresql stop >/dev/null 2>&1 || true
ls -d /usr/lib/postgresql/*/bin/initdb
