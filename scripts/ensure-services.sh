#!/usr/bin/env bash
# Makes sure the server programs the specs start are installed: redis-server and redis-cli,
# memcached (Debian packages), java (runs DynamoDB Local, whose jar comes from npm) and openssl
# (certificates for the TLS specs). Idempotent: when everything is present it changes nothing.
#
# Installing never starts the packages' own system services (a policy-rc.d denies it for the
# duration), so no stray redis/memcached holds 6379/11211; the launchers use free ports anyway.
set -euo pipefail

log() { echo "[setup] $*" >&2; }

have() { command -v "$1" >/dev/null 2>&1; }

# command → Debian package providing it
declare -A PACKAGE_OF=(
  [redis-server]=redis-server
  [redis-cli]=redis-tools
  [memcached]=memcached
  [java]=default-jre-headless
  [openssl]=openssl
)
COMMANDS=(redis-server redis-cli memcached java openssl)

missing_commands() {
  local cmd
  for cmd in "${COMMANDS[@]}"; do have "$cmd" || echo "$cmd"; done
}

mapfile -t missing < <(missing_commands)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

packages=()
for cmd in "${missing[@]}"; do
  case "$cmd" in
    # The three come as a set, so a half-installed redis/memcached is completed in one go.
    redis-server | redis-cli | memcached) packages+=(redis-server redis-tools memcached) ;;
    *) packages+=("${PACKAGE_OF[$cmd]}") ;;
  esac
done
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
log "missing: ${missing[*]} — installing Debian packages: ${packages[*]}"

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif have sudo && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  log "ERROR: installing ${packages[*]} needs root (run this script as root, or install them yourself)."
  exit 1
fi
if ! have apt-get; then
  log "ERROR: apt-get not found; install these yourself: ${packages[*]}"
  exit 1
fi

# Deny service starts while installing (exit code 101 = "action forbidden" to invoke-rc.d).
POLICY=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then "${SUDO[@]}" rm -f "$POLICY"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2

mapfile -t still < <(missing_commands)
if [ "${#still[@]}" -ne 0 ]; then
  log "ERROR: still missing after apt-get install: ${still[*]}"
  exit 1
fi
log "installed: ${packages[*]}"
