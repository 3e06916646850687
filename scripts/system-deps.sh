#!/usr/bin/env bash
# Install (as root) or name (otherwise) the Debian packages the observatory needs:
# PostgreSQL server + the PostGIS build for it, Chromium + ChromeDriver for the
# browser tests, python3-venv. Idempotent: installs only what is missing.
set -euo pipefail

need_browser=${NEED_BROWSER:-1}
missing=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

pg_version=""
if [ -n "${OBSERVATORY_PG_BINDIR:-}" ] && [ -x "$OBSERVATORY_PG_BINDIR/postgres" ]; then
  pg_version=$("$OBSERVATORY_PG_BINDIR/postgres" --version | awk '{print $3}' | cut -d. -f1)
else
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -x "$dir/postgres" ]; then pg_version=$(basename "$(dirname "$dir")"); break; fi
  done
fi
if [ -z "$pg_version" ]; then
  # No server yet: take the distribution's default version.
  pg_version=$(apt-cache depends postgresql 2>/dev/null | awk '/Depends: postgresql-[0-9]+$/ {sub("postgresql-","",$2); print $2; exit}')
  pg_version=${pg_version:-15}
  missing+=("postgresql-$pg_version")
fi
have "postgresql-$pg_version-postgis-3" || missing+=("postgresql-$pg_version-postgis-3")
if [ "$need_browser" = 1 ]; then
  have chromium || missing+=(chromium)
  have chromium-driver || missing+=(chromium-driver)
fi
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
