#!/usr/bin/env bash
# System packages for the benchmarks only (CI does not need them): wrk, the HTTP load generator
# bench/http_read.py drives. Run after scripts/setup-system.sh; a no-op when wrk is there.
set -euo pipefail
if ! command -v wrk >/dev/null; then
  echo "installing: wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
