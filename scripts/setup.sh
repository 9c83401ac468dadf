#!/usr/bin/env bash
# Installs the Debian packages Countersign builds and tests against, when any
# is missing. Idempotent and quiet: prints one line when it installs something.
set -euo pipefail

packages=(
    pkg-config
    librdkafka-dev libpq-dev libssl-dev libsimdjson-dev
    postgresql rsyslog rsyslog-openssl prometheus kcat
    # scripts/deb.sh and scripts/test-deploy.sh (PyPI tools: scripts/deploy-tools.sh)
    dpkg-dev binutils patchelf adduser systemd shellcheck lintian python3-venv
)
# kubectl for `kubectl kustomize`: Debian's, unless one is installed already.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "setup: missing Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    echo "setup: apt-get failed:" >&2
    tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
