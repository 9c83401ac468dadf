#!/usr/bin/env bash
# The deployment checks `make test` runs after the Swift suite:
#
#   scripts/test-deploy.sh BINARY        (make test passes .build/debug/countersign)
#
# 1. Scripts: shellcheck. Container file: hadolint, its structure, its runtime
#    packages against the .deb's Depends. Kubernetes: kubernetes-validate
#    (strict, offline schemas) on the files and on `kubectl kustomize`'s
#    rendering, the manifests against each other, the ConfigMap's pipeline
#    through `countersign check` with the Secret's values (and failing without).
# 2. The systemd unit: systemd-analyze verify (any warning fails) and
#    security (exposure at most 2.0), against the pipeline the .deb ships.
# 3. The .deb: built by scripts/deb.sh, inspected, lintian, installed, used (the user,
#    modes, conffiles, every library from a package, --help, `check` as the
#    service user with the env file), removed and purged; nothing stays but a
#    ledger. Needs root and a machine with no countersign package or user.
#
# Any failure exits 1 naming it. A missing tool skips its part, except with
# CI=true, where it fails (scripts/setup.sh and scripts/deploy-tools.sh
# install them all).
# shellcheck disable=SC2015 # in 'A && B || fail ...' fail exits: it runs only when A or B failed
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BINARY" >&2; exit 2; }
binary=$(realpath "$1")
deploy=$root/deploy
checks=$root/scripts/test-deploy.py

fail() { echo "test-deploy: FAIL: $*" >&2; exit 1; }
ok() { echo "test-deploy: ok: $*"; }
# have TOOL: true when present; otherwise a skip, or a failure under CI.
have() {
    command -v "$1" >/dev/null 2>&1 && return 0
    [ "${CI:-}" != true ] || fail "$1 not found (CI=true: a missing tool is a failure)"
    echo "test-deploy: SKIP: $1 not found" >&2
    return 1
}

[ -x "$binary" ] || fail "no executable at $1"
tmp=$(mktemp -d)
installed=no
cleanup() {
    # Only what this script made: it starts on a machine with none of it.
    if [ "$installed" = yes ]; then
        echo "test-deploy: purging the package after a failure" >&2
        dpkg --purge countersign >/dev/null 2>&1 || true
        rm -rf /var/lib/countersign
        userdel countersign >/dev/null 2>&1 || true
        groupdel countersign >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# A copy: the binary may be rebuilt while this runs.
cp "$binary" "$tmp/countersign"
binary=$tmp/countersign

tools=$("$root/scripts/deploy-tools.sh") || fail "scripts/deploy-tools.sh could not install the validators"
py=$tools/python
ok "validators: $("$tools/kubernetes-validate" --version 2>&1 | tail -n 1), $("$tools/hadolint" --version)"

# --- 1. scripts, container file, Kubernetes -------------------------------
if have shellcheck; then
    shellcheck "$root"/scripts/{deb,test-deploy,deploy-tools}.sh "$deploy"/debian/{postinst,prerm,postrm} \
        || fail "shellcheck"
    ok "shellcheck ($(shellcheck --version | sed -n 's/^version: //p'))"
fi

"$tools/hadolint" "$deploy/container/Containerfile" || fail "hadolint: deploy/container/Containerfile"
ok "hadolint deploy/container/Containerfile"

# Strict: unknown fields (a misspelt key) fail too. Two schema versions: an
# older cluster's and the newest the package bundles.
kube_validate() {
    local version out
    for version in 1.29.0 1.37.0; do
        # Any line but INFO (passed) is a finding, whatever the exit status.
        out=$("$tools/kubernetes-validate" --strict -k "$version" "$@" 2>&1) || true
        ! grep -v '^INFO' <<<"$out" | grep -q . || fail "kubernetes-validate $version: $(grep -v '^INFO' <<<"$out")"
    done
}
manifests=()
for file in "$deploy"/kubernetes/*.yaml; do
    [ "$(basename "$file")" = kustomization.yaml ] || manifests+=("$file")
done
kube_validate "${manifests[@]}"
ok "kubernetes-validate --strict (1.29, 1.37): ${#manifests[@]} manifests"
if have kubectl; then
    kubectl kustomize "$deploy/kubernetes" >"$tmp/rendered.yaml" 2>"$tmp/kustomize.log" \
        || fail "kubectl kustomize: $(cat "$tmp/kustomize.log")"
    kube_validate "$tmp/rendered.yaml"
    grep -q 'image: countersign:' "$tmp/rendered.yaml" || fail "kustomize did not set the image tag"
    ok "kubectl kustomize renders; the rendering validates ($(kubectl version --client 2>/dev/null | head -n 1 | cut -c1-60))"
fi
"$py" "$checks" kubernetes "$deploy/kubernetes" "$tmp/k8s-pipeline.yaml" "$tmp/k8s.env" || fail "Kubernetes manifests"
ok "manifests agree: probes, ports, grace period, writable paths, Secret keys"
mapfile -t secret_env <"$tmp/k8s.env"
out=$(env -i PATH=/usr/bin:/bin HOSTNAME=countersign-0 "${secret_env[@]}" "$binary" check "$tmp/k8s-pipeline.yaml" 2>&1) \
    || fail "countersign check on the ConfigMap's pipeline: $out"
ok "ConfigMap pipeline: $out"
if out=$(env -i PATH=/usr/bin:/bin HOSTNAME=countersign-0 "$binary" check "$tmp/k8s-pipeline.yaml" 2>&1); then
    fail "the ConfigMap's pipeline checks clean without the Secret's values: $out"
fi
grep -q 'is not set' <<<"$out" || fail "without the Secret's values check fails for another reason: $out"
ok "ConfigMap pipeline needs the Secret's values"

# --- 2. the systemd unit ---------------------------------------------------
unit=$deploy/systemd/countersign.service
"$py" "$checks" unit "$unit" "$deploy/debian/pipeline.yaml" || fail "unit against the shipped pipeline"
ok "unit: stop timeout above the shutdown bound; pipeline directories writable"
# verify wants ExecStart's binary to exist: a copy naming BINARY.
verify_unit() {
    local out
    out=$(systemd-analyze verify "$1" 2>&1) || fail "systemd-analyze verify $1: $out"
    # Warnings (an unknown key, a bad value) leave the exit status 0.
    ! grep -q countersign <<<"$out" || fail "systemd-analyze verify $1: $out"
    out=$(systemd-analyze security --offline=true --threshold=20 "$1" 2>&1) \
        || fail "systemd-analyze security: exposure above 2.0: $(tail -n 1 <<<"$out")"
    ok "systemd-analyze verify $1; security: $(tail -n 1 <<<"$out" | sed 's/^→ //')"
}
if have systemd-analyze; then
    mkdir "$tmp/unit"
    sed "s|^ExecStart=/usr/bin/countersign |ExecStart=$binary |" "$unit" >"$tmp/unit/countersign.service"
    grep -q "^ExecStart=$binary " "$tmp/unit/countersign.service" || fail "the unit's ExecStart is not /usr/bin/countersign ..."
    verify_unit "$tmp/unit/countersign.service"
fi

# --- 3. the Debian package -------------------------------------------------
for tool in dpkg-deb dpkg-shlibdeps patchelf readelf strip; do have "$tool" || exit 0; done
# gzip -1: xz takes a minute over the debug binary; lintian refuses none and zstd.
deb=$(DEB_COMPRESSION=gzip DPKG_DEB_COMPRESSOR_LEVEL=1 "$root/scripts/deb.sh" "$binary" "$tmp") \
    || fail "scripts/deb.sh"
upstream=$("$binary" --version | awk '{ print $1; exit }')
version=$(sed -E 's/^([0-9][0-9.]*)-/\1~/' <<<"$upstream")
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "countersign_${version}_${arch}.deb" ] || fail "package named $(basename "$deb")"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = countersign ] && [ "$(field Version)" = "$version" ] && [ "$(field Architecture)" = "$arch" ] \
    || fail "control: $(dpkg-deb --info "$deb")"
depends=$(field Depends)
for package in adduser ca-certificates libc6 libpq5 librdkafka1 libsimdjson14 libssl3; do
    grep -Eq "(^|, )$package( |,|$)" <<<"$depends" || fail "Depends lacks $package: $depends"
done
! grep -qi swift <<<"$depends" || fail "Depends names a Swift package: $depends"
[ "$(dpkg-deb --info "$deb" conffiles)" = "$(cat "$deploy/debian/conffiles")" ] || fail "conffiles differ"
dpkg-deb --contents "$deb" >"$tmp/contents"
for entry in "-rwxr-xr-x root/root .* ./usr/bin/countersign" \
    "-rw-r--r-- root/root .* ./etc/countersign/pipeline.yaml" \
    "-rw-r----- root/root .* ./etc/countersign/countersign.env" \
    "-rw-r--r-- root/root .* ./lib/systemd/system/countersign.service" \
    "-rw-r--r-- root/root .* ./usr/share/doc/countersign/copyright"; do
    grep -Eq -- "^$entry\$" "$tmp/contents" || fail "contents lack '$entry'"
done
! grep -v ' root/root ' "$tmp/contents" | grep -q . || fail "files not owned by root in the archive"
ok "$(basename "$deb"): control, Depends ($depends), conffiles, contents"
if have lintian; then
    # Warnings fail too; the package's own overrides say what is meant. It
    # has no manual page (countersign --help, docs/deploy.md).
    status=0
    lintian --fail-on error,warning --suppress-tags no-manual-page --tag-display-limit 0 "$deb" \
        >"$tmp/lintian.log" 2>&1 || status=$?
    out=$(grep -v 'running with root privileges' "$tmp/lintian.log" || true)
    [ "$status" -eq 0 ] && [ -z "$out" ] || fail "lintian (status $status): $out"
    ok "lintian ($(lintian --version)): no error or warning"
fi
"$py" "$checks" container "$deploy/container/Containerfile" "$depends" "$deploy/kubernetes" || fail "Containerfile"
ok "Containerfile: stages, static Swift runtime, non-root USER = runAsUser, runtime packages cover Depends"

if [ "$(id -u)" -ne 0 ]; then
    [ "${CI:-}" != true ] || fail "installing the package needs root"
    echo "test-deploy: SKIP: installing the package needs root" >&2
    exit 0
fi
# Never touch a real installation.
if dpkg-query -W -f='${Status}' countersign 2>/dev/null | grep -Eq 'installed|config-files'; then
    fail "a countersign package is installed here: test-deploy installs and purges its own"
fi
! getent passwd countersign >/dev/null || fail "a user countersign exists here already"
[ ! -e /etc/countersign ] && [ ! -e /var/lib/countersign ] || fail "/etc/countersign or /var/lib/countersign exists already"

install_package() {
    installed=yes
    out=$(dpkg -i "$deb" 2>&1) || fail "dpkg -i: $out"
}
install_package
entry=$(getent passwd countersign) || fail "no user countersign after dpkg -i"
IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/countersign ] && [ "$shell" = /usr/sbin/nologin ] \
    || fail "user countersign: $entry (want a system user, home /var/lib/countersign, no shell)"
getent group countersign >/dev/null || fail "no group countersign"
for expect in "755 root root /usr/bin/countersign" "644 root root /etc/countersign/pipeline.yaml" \
    "640 root root /etc/countersign/countersign.env" "644 root root /lib/systemd/system/countersign.service" \
    "750 countersign countersign /var/lib/countersign"; do
    path=${expect##* }
    [ -e "$path" ] || fail "$path missing after dpkg -i"
    [ "$(stat -c '%a %U %G %n' "$path")" = "$expect" ] || fail "$(stat -c '%a %U %G %n' "$path"), want $expect"
done
conffiles=$(dpkg-query -W -f='${Conffiles}' countersign)
for file in /etc/countersign/pipeline.yaml /etc/countersign/countersign.env; do
    grep -q " $file " <<<"$conffiles" || fail "$file is not a conffile"
done
ok "installed: system user countersign ($uid), files and modes, conffiles"

# Every library from a package (ours or Debian's), none from the toolchain.
ldd /usr/bin/countersign >"$tmp/ldd"
! grep -q 'not found' "$tmp/ldd" || fail "unresolved libraries: $(grep 'not found' "$tmp/ldd")"
while read -r _ arrow path _; do
    [ "$arrow" = "=>" ] || continue
    path=$(realpath "$path")
    [[ $path != /opt/* ]] || fail "/usr/bin/countersign loads $path from /opt"
    dpkg -S "$path" >/dev/null 2>&1 || dpkg -S "${path#/usr}" >/dev/null 2>&1 \
        || fail "/usr/bin/countersign loads $path, which no package provides"
done <"$tmp/ldd"
! readelf -d /usr/bin/countersign | grep -E 'R(UN)?PATH' | grep -q /opt || fail "RUNPATH names /opt"
/usr/bin/countersign --help >"$tmp/help" 2>&1 && grep -q USAGE "$tmp/help" || fail "countersign --help: $(cat "$tmp/help")"
[ "$(/usr/bin/countersign --version | awk '{ print $1; exit }')" = "$upstream" ] || fail "--version differs"
ok "/usr/bin/countersign --help runs; every library it loads comes from a package"
# The same with the toolchain out of sight, where the kernel lets us hide it.
if [ -d /opt ] && unshare -m true 2>/dev/null; then
    unshare -m sh -c 'mount -t tmpfs none /opt && /usr/bin/countersign --help' >/dev/null 2>&1 \
        || fail "countersign --help fails with /opt hidden"
    ok "countersign --help runs with /opt hidden"
fi

if have systemd-analyze; then verify_unit /lib/systemd/system/countersign.service; fi
# As systemd would run it: the env file's values, a clean environment, the service user.
"$py" "$checks" envfile /etc/countersign/countersign.env >"$tmp/env" || fail "/etc/countersign/countersign.env"
mapfile -t unit_env <"$tmp/env"
out=$(runuser -u countersign -- env -i PATH=/usr/bin:/bin "HOSTNAME=$(hostname)" "${unit_env[@]}" \
    /usr/bin/countersign check /etc/countersign/pipeline.yaml 2>&1) || fail "check as countersign: $out"
ok "as user countersign with countersign.env: $out"

# Remove keeps the configuration and the user; purge takes them, keeping only a ledger.
out=$(dpkg -r countersign 2>&1) || fail "dpkg -r: $out"
[ ! -e /usr/bin/countersign ] && [ ! -e /lib/systemd/system/countersign.service ] || fail "files left after dpkg -r"
[ -e /etc/countersign/pipeline.yaml ] && getent passwd countersign >/dev/null || fail "dpkg -r removed configuration or user"
out=$(dpkg --purge countersign 2>&1) || fail "dpkg --purge: $out"
! getent passwd countersign >/dev/null || fail "user countersign left after purge"
! getent group countersign >/dev/null || fail "group countersign left after purge"
for path in /etc/countersign /var/lib/countersign /usr/lib/countersign /usr/share/doc/countersign; do
    [ ! -e "$path" ] || fail "$path left after purge"
done
installed=no
ok "dpkg -r kept configuration and user; dpkg --purge removed both and the state"

install_package
install -d -o countersign -g countersign /var/lib/countersign/ledger /var/lib/countersign/detection
echo entry >/var/lib/countersign/ledger/checkpoint
out=$(dpkg --purge countersign 2>&1) || fail "dpkg --purge: $out"
grep -q 'kept /var/lib/countersign/ledger' <<<"$out" || fail "purge did not say it kept the ledger: $out"
[ -f /var/lib/countersign/ledger/checkpoint ] && [ ! -e /var/lib/countersign/detection ] \
    || fail "purge must keep the ledger and only the ledger"
! getent passwd countersign >/dev/null || fail "user countersign left after purge"
installed=no
rm -rf /var/lib/countersign
ok "purge keeps a ledger (and says so), removes the rest"
echo "test-deploy: all deployment checks passed"
