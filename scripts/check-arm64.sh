#!/usr/bin/env bash
# the linux-arm64 prebuild, tested on this x64 machine: Debian's arm64 Node 18 runs under qemu-user,
# loads the cross-built addon, holds each native op to the reference backend, and trains the book's
# network on real MNIST for the same seeded steps as this machine's x64 build; the two test accuracies
# must agree (the BLAS kernels differ, so the last bits do too, not the result).
#   scripts/check-arm64.sh [STEPS]   STEPS defaults to 300 (CI); 2000 is the fuller run (~10 min)
# Needs: npm ci done (dist/), apt-get install -y crossbuild-essential-arm64 qemu-user-static
# libopenblas-dev:arm64 (after dpkg --add-architecture arm64), and a Debian apt archive.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
steps=${1:-300}
arm=prebuilds/linux-arm64/blasprop.node
x64=prebuilds/linux-x64/blasprop.node
[[ -f $arm ]] || npm run prebuild -- --arch arm64
[[ -f $x64 ]] || npm run prebuild
sysroot=$(scripts/debian-sysroot.sh bookworm-arm64 bookworm arm64 nodejs libnode108 libc6 libstdc++6 libgcc-s1 \
  libuv1 libbrotli1 libc-ares2 libnghttp2-14 libssl3 zlib1g libicu72)
# node's javascript dependencies are architecture-independent packages
sysroot_all=$(scripts/debian-sysroot.sh bookworm-all bookworm all node-acorn node-cjs-module-lexer node-undici node-busboy)
cp -rn "$sysroot_all/usr/." "$sysroot/usr/"

x64_json=$(BLASPROP_ADDON=$x64 node scripts/check-native.mjs --train "$steps" | tail -1)
echo "check-arm64: x64 reference run: $x64_json"
arm_out=$(BLASPROP_ADDON=$arm qemu-aarch64-static -L "$sysroot" "$sysroot/usr/bin/node" scripts/check-native.mjs --train "$steps")
echo "$arm_out"
arm_json=$(tail -1 <<<"$arm_out")
node -e '
  const [x64, arm] = process.argv.slice(1).map((s) => JSON.parse(s));
  if (arm.arch !== "arm64") throw new Error(`the emulated run reports arch ${arm.arch}`);
  const gap = Math.abs(arm.testAccuracy - x64.testAccuracy);
  console.log(`check-arm64: test accuracy after ${arm.iterations} steps: arm64 ${arm.testAccuracy}, x64 ${x64.testAccuracy}; ` +
    `step ${arm.stepMs} ms emulated (${arm.corename}) vs ${x64.stepMs} ms native`);
  if (gap > 0.005) { console.error(`check-arm64: accuracies differ by ${gap.toFixed(4)} (more than 0.005)`); process.exit(1); }
' "$x64_json" "$arm_json"
echo "check-arm64: passed in $((SECONDS - start)) s"
