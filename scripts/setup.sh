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
# The ledger's object storage: libcurl (S3 with its built-in AWS SigV4) and,
# for the tests, Ceph's radosgw as a one-node cluster. Ceph's recommends pull
# in hundreds of megabytes nobody here uses, so these go without them.
lean_packages=(libcurl4-openssl-dev radosgw ceph-mon ceph-osd ceph-common)
# kubectl for `kubectl kustomize`: Debian's, unless one is installed already.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for package in "${packages[@]}"; do installed "$package" || missing+=("$package"); done
missing_lean=()
for package in "${lean_packages[@]}"; do installed "$package" || missing_lean+=("$package"); done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_lean[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "setup: missing Debian packages: ${missing[*]} ${missing_lean[*]} (run as root or install them)" >&2
    exit 1
fi

echo "setup: installing ${missing[*]} ${missing_lean[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
install_all() {
    "${sudo[@]}" apt-get update -qq || return 1
    if [ ${#missing[@]} -gt 0 ]; then "${sudo[@]}" apt-get install -y -qq "${missing[@]}" || return 1; fi
    if [ ${#missing_lean[@]} -gt 0 ]; then
        "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_lean[@]}" || return 1
    fi
}
if ! install_all >"$log" 2>&1; then
    echo "setup: apt-get failed:" >&2
    tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
