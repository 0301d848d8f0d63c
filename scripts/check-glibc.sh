#!/usr/bin/env bash
# the glibc baseline, verified: the linux-x64 prebuild is loaded by this machine's Node 20 running on
# Debian 11's glibc 2.31 (its own dynamic loader, its libstdc++ 10), and its ops are held to the
# reference backend there; then a short MNIST training. (test/slow/prebuild.test.ts checks the symbol
# versions against 2.28 itself, which no Debian release still in the archive ships.)
# Needs: npm ci done (dist/), a Debian apt archive, and `npm run prebuild` (run here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
addon=prebuilds/linux-x64/blasprop.node
[[ -f $addon ]] || npm run prebuild
sysroot=$(scripts/debian-sysroot.sh bullseye-amd64 bullseye amd64 libc6 libstdc++6 libgcc-s1)
lib=$sysroot/lib/x86_64-linux-gnu
loader=$(ls "$lib"/ld-2.*.so | head -1)
echo "check-glibc: running Node on $(basename "$loader") from Debian 11"
BLASPROP_ADDON=$addon "$loader" --library-path "$lib:$sysroot/usr/lib/x86_64-linux-gnu" "$(command -v node)" \
  scripts/check-native.mjs --train 600 --expect-glibc 2.31
echo "check-glibc: passed in $((SECONDS - start)) s"
