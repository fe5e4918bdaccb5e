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
# gettext: msgfmt compiles the portal's translation catalogues (locale/*/LC_MESSAGES/*.po -> .mo,
# committed; needed only to run makemessages / compilemessages after changing a string).
command -v msgfmt >/dev/null || need+=(gettext)
# Debian's Chromium drives the browser tests (tests/browser, Playwright with executable_path=
# /usr/bin/chromium): Playwright's own browser download is not available on our machines.
command -v chromium >/dev/null || need+=(chromium chromium-driver)
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
