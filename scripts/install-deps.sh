#!/usr/bin/env bash
# Installs the Debian packages fleetsim needs that are not yet installed.
# Uses sudo when not root. Does nothing (and needs no network) when all are present.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libgsl-dev libconfig-dev libsqlite3-dev sqlite3 libcmocka-dev gnuplot-nox
      openmpi-bin libopenmpi-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
