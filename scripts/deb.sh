#!/usr/bin/env bash
# Builds countersign_<version>_<arch>.deb from a built binary.
#
#   scripts/deb.sh [BINARY [OUTDIR]]    (defaults: .build/release/countersign, .build)
#
# VERSION overrides the version (default: the first word of `BINARY --version`,
# a pre-release's hyphen made a tilde);
# DEB_COMPRESSION is dpkg-deb's -Z (default xz). Prints the package's path.
#
# A binary built without --static-swift-stdlib links the Swift runtime from
# the toolchain, which no Debian package provides: those libraries are
# bundled in /usr/lib/countersign and the binary's RUNPATH points there.
# Depends comes from dpkg-shlibdeps over the binary and the bundled libraries.
set -euo pipefail
# The modes in the archive are the tree's: no stricter umask may leak in.
umask 022

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/.build/release/countersign}
outdir=${2:-$root/.build}
deploy=$root/deploy

fail() { echo "deb: $*" >&2; exit 1; }

for tool in dpkg-deb dpkg-shlibdeps patchelf readelf strip ldd; do
    command -v "$tool" >/dev/null || fail "$tool not found (scripts/setup.sh installs it)"
done
[ -x "$binary" ] || fail "no executable at $binary (make release builds one)"

version=${VERSION:-$("$binary" --version | awk '{ print $1; exit }')}
# A pre-release (0.2.0-dev) sorts before its release in Debian only with a tilde.
version=$(sed -E 's/^([0-9][0-9.]*)-/\1~/' <<<"$version")
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || fail "'$version' is not a Debian version"

# The binary's architecture, not the host's: a cross-built binary gets its own.
machine=$(readelf -h "$binary" | sed -n 's/^ *Machine: *//p')
case $machine in
    *X86-64*) arch=amd64 ;;
    AArch64) arch=arm64 ;;
    *) fail "no Debian architecture known for ELF machine '$machine'" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants a debian/control and the package tree under debian/<package>.
pkg=$work/debian/countersign
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/etc/countersign" \
    "$pkg/lib/systemd/system" "$pkg/usr/share/doc/countersign"
printf 'Source: countersign\n\nPackage: countersign\nArchitecture: any\n' >"$work/debian/control"

install -m 0755 "$binary" "$pkg/usr/bin/countersign"

# Every library the binary loads comes from a Debian package or, bundled,
# from the Swift runtime directory; anything else is refused.
swift_dir=
loaded=()
while read -r name arrow path _; do
    [ "$arrow" = "=>" ] || continue
    [ "$path" != "not" ] || fail "$binary: $name not found by the loader"
    if [ "$name" = libswiftCore.so ]; then swift_dir=$(dirname "$path"); fi
    loaded+=("$path")
done < <(ldd "$binary")
libs=()
for path in "${loaded[@]}"; do
    if [ -n "$swift_dir" ] && [ "$(dirname "$path")" = "$swift_dir" ]; then
        libs+=("$path")
    elif ! dpkg -S "$path" >/dev/null 2>&1 && ! dpkg -S "$(realpath "$path")" >/dev/null 2>&1 \
        && ! dpkg -S "/usr$path" >/dev/null 2>&1; then
        fail "$path is neither from a Debian package nor from the Swift runtime"
    fi
done
# Only the DWARF goes (73 MB to 27 MB for the release binary): the symbol
# tables stay, from which Swift's backtracer names a crash's frames.
strip --strip-debug "$pkg/usr/bin/countersign"
if [ ${#libs[@]} -gt 0 ]; then
    install -d -m 0755 "$pkg/usr/lib/countersign"
    install -m 0644 "${libs[@]}" "$pkg/usr/lib/countersign/"
    strip --strip-debug "$pkg"/usr/lib/countersign/*.so
    # shellcheck disable=SC2016 # $ORIGIN is for the loader, not the shell
    patchelf --set-rpath '$ORIGIN/../lib/countersign' "$pkg/usr/bin/countersign"
    # shellcheck disable=SC2016
    for lib in "$pkg"/usr/lib/countersign/*.so; do patchelf --set-rpath '$ORIGIN' "$lib"; done
else
    # A static Swift stdlib: drop the toolchain path so nothing is looked up there.
    patchelf --remove-rpath "$pkg/usr/bin/countersign"
fi

install -m 0644 "$deploy/debian/pipeline.yaml" "$pkg/etc/countersign/pipeline.yaml"
install -m 0640 "$deploy/debian/countersign.env" "$pkg/etc/countersign/countersign.env"
install -m 0644 "$deploy/systemd/countersign.service" "$pkg/lib/systemd/system/countersign.service"
install -m 0644 "$deploy/debian/copyright" "$pkg/usr/share/doc/countersign/copyright"
install -m 0644 "$root/docs/deploy.md" "$pkg/usr/share/doc/countersign/deploy.md"
# A native package's changelog.gz is in Debian's format: one entry naming the
# version, dated by the last commit (reproducible), pointing at the real one.
when=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
maintainer=${MAINTAINER:-Countersign maintainers <maintainers@countersign.invalid>}
printf 'countersign (%s) unstable; urgency=medium\n\n  * Release %s; changes in CHANGELOG.md.gz.\n\n -- %s  %s\n' \
    "$version" "$version" "$maintainer" "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$when}")" \
    | gzip -9n >"$pkg/usr/share/doc/countersign/changelog.gz"
gzip -9n <"$root/CHANGELOG.md" >"$pkg/usr/share/doc/countersign/CHANGELOG.md.gz"
chmod 0644 "$pkg"/usr/share/doc/countersign/*.gz
install -D -m 0644 "$deploy/debian/lintian-overrides" "$pkg/usr/share/lintian/overrides/countersign"
install -m 0755 "$deploy/debian/postinst" "$deploy/debian/prerm" "$deploy/debian/postrm" "$pkg/DEBIAN/"
install -m 0644 "$deploy/debian/conffiles" "$pkg/DEBIAN/conffiles"

objects=(-e"$pkg/usr/bin/countersign")
for lib in "$pkg"/usr/lib/countersign/*.so; do [ -e "$lib" ] && objects+=(-e"$lib"); done
# The bundled libraries have unversioned sonames and no shlibs file: they are
# private to this package, so those two warnings say nothing; others pass.
shlibs=$(cd "$work" && dpkg-shlibdeps -O "${objects[@]}" 2> >(grep -v \
    -e "can't extract name and version from library name" -e "could avoid a useless dependency" >&2))
depends=${shlibs#shlibs:Depends=}
if [ "$depends" = "$shlibs" ] || [ -z "$depends" ]; then
    fail "dpkg-shlibdeps gave no dependencies: $shlibs"
fi
# adduser for the maintainer scripts; ca-certificates for the CA bundle the
# shipped pipeline verifies TLS peers against.
depends="adduser, ca-certificates, $depends"

size=$(du -sk --apparent-size --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends/" \
    -e "s|@MAINTAINER@|$maintainer|" \
    "$deploy/debian/control.in" >"$pkg/DEBIAN/control"
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

mkdir -p "$outdir"
deb=$outdir/countersign_${version}_${arch}.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$pkg" "$deb" >/dev/null
echo "$deb"
