#!/usr/bin/env bash
# unpacks Debian packages into a directory to run programs against (another glibc, another CPU's Node),
# without installing them: the machine's own apt sources and packages stay untouched.
#   scripts/debian-sysroot.sh NAME SUITE ARCH PACKAGE...   -> prints the sysroot's path
# the result is cached in $BLASPROP_SYSROOTS (default ~/.cache/blasprop-sysroots/NAME); delete it to refresh
set -euo pipefail
name=$1 suite=$2 arch=$3
shift 3
base=${BLASPROP_SYSROOTS:-$HOME/.cache/blasprop-sysroots}
root=$base/$name
if [[ -f $root/.complete ]]; then echo "$root"; exit 0; fi

# a private apt state: its own sources list, package lists and cache, so nothing under /etc/apt changes
state=$base/.apt-$name
rm -rf "$root" "$state"
mkdir -p "$root" "$state/lists/partial" "$state/cache/archives/partial" "$state/debs"
echo "deb [arch=$arch] http://deb.debian.org/debian $suite main" > "$state/sources.list"
opts=(-q -o Dir::Etc::SourceList="$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache" -o APT::Architectures::="$arch"
      -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update >&2
(cd "$state/debs" && apt-get "${opts[@]}" download "${@/%/:$arch}" >&2)
for deb in "$state/debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
rm -rf "$state"
touch "$root/.complete"
echo "$root"
