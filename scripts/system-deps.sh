#!/usr/bin/env bash
# System programs the test suite drives as real peers: nginx (reverse proxy, forward-auth) and
# Chromium (browser test). Installed from Debian's packages when missing and running as root;
# otherwise this fails with the command to run (the suite never skips a peer).
# Also NestJS 11 (scripts/nestjs11/, npm ci into .cache/nestjs11), the older Nest major the
# NestJS suite runs on beside the 12 of the devDependencies: one npm tree cannot hold both.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
nest11="$root/.cache/nestjs11"
# installed.lock is written only once npm ci succeeded: a broken install is redone.
if ! cmp -s "$root/scripts/nestjs11/package-lock.json" "$nest11/installed.lock" 2>/dev/null; then
  echo "system-deps: installing NestJS 11 into .cache/nestjs11"
  mkdir -p "$nest11"
  cp "$root/scripts/nestjs11/package.json" "$root/scripts/nestjs11/package-lock.json" "$nest11/"
  (cd "$nest11" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$nest11/package-lock.json" "$nest11/installed.lock"
fi

missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]} from Debian's packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
