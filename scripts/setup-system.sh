#!/usr/bin/env bash
# System packages Citizen Vault needs beyond Python 3.11 with venv: make, and for the
# production shape PostgreSQL and Redis (client tools used by .ci/run to check them).
# Installs only what is missing; a no-op on a machine that has them all.
set -euo pipefail
need=()
command -v make >/dev/null || need+=(make)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v pg_isready >/dev/null || need+=(postgresql postgresql-client)
command -v redis-cli >/dev/null || need+=(redis-server redis-tools)
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
