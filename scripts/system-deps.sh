#!/usr/bin/env bash
# System programs the test suite drives as real peers: nginx (reverse proxy, forward-auth) and
# Chromium (browser test). Installed from Debian's packages when missing and running as root;
# otherwise this fails with the command to run (the suite never skips a peer).
set -euo pipefail

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
