#!/usr/bin/env bash
# npm run test:sanitize: the addon built with -fsanitize=address,undefined (build-asan/, its own build
# directory), then under it the native tests (kernel parity, argument checks, the fuzz), a longer fuzz and
# race, and short MNIST training runs. Any sanitizer report fails the script. About 2.5 minutes here
# (plus 1.5 to compile), each step under a time limit.
#
# choices, because Node itself is not built with ASan:
# - LD_PRELOAD=libasan: the ASan runtime must be loaded before anything else, and node does not link it;
#   the addon links libubsan itself. OpenBLAS's static library is not instrumented (its own memory is not
#   checked; our calls into it are, by the length checks the fuzz exercises).
# - detect_leaks=0: LeakSanitizer would report V8's and Node's own allocations still held at exit, none of
#   which we can fix or name; the addon owns no memory past a call except largePageAlloc's buffers, which
#   V8 frees. Memory growth is a matter for a long run, not for this script.
# - allow_user_segv_handler=0: Node installs its own SIGSEGV handler over ASan's, and a wild read then dies
#   as a bare "Segmentation fault"; with ASan's handler kept it is a report with the faulting line (checked
#   against the gatherRows of before issue 10: "SEGV … GatherImpl gather_rows.cc:31").
# - abort_on_error / -fno-sanitize-recover=all: every ASan and UBSan report ends its process with a signal,
#   and log_path keeps each report in a file, so a report in any child process (the fuzz runs in children)
#   fails the script even where the exit status alone would be lost.
set -euo pipefail
cd "$(dirname "$0")/.."

# the TypeScript build (the fuzz program uses the library's seeded generator) and the instrumented addon
npm run build:ts
npx cmake-js compile --out build-asan --CDBLASPROP_SANITIZE=ON

reports="$PWD/build-asan/reports"
rm -rf "$reports" && mkdir -p "$reports"
export BLASPROP_ADDON="$PWD/build-asan/Release/blasprop.node"
LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
export LD_PRELOAD
export ASAN_OPTIONS="detect_leaks=0:allow_user_segv_handler=0:abort_on_error=1:halt_on_error=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"

# every step bounded, so a hang fails instead of holding CI
step() {
  local limit=$1; shift
  echo "== $*"
  timeout "$limit" "$@"
}

step 240 npx vitest run test/kernels.test.ts test/native-args.test.ts test/native-fuzz.test.ts test/conv-relu-pool.test.ts
for seed in 1 2 3; do
  step 120 node test/native-fuzz.mjs fuzz "$BLASPROP_ADDON" "$seed" 30000
done
step 60 node test/native-fuzz.mjs race "$BLASPROP_ADDON" 11 50
# short trainings that pass every op of a real step through the instrumented addon, and must still learn
train() {
  local json
  json=$(timeout 120 node dist/cli.js train --iterations 300 --seed 1 --backend native --json "$@" 2>/dev/null | tail -n 1)
  node -e 'const r = JSON.parse(process.argv[1]); if (!(r.testAccuracy > 0.8)) { console.error(`test accuracy ${r.testAccuracy} after 300 iterations`); process.exit(1); } console.log(`   test accuracy ${r.testAccuracy}`);' "$json"
}
echo "== MNIST, 300 iterations, float32 sgd"
train
echo "== MNIST, 300 iterations, float64 adam, batch 64"
train --dtype float64 --optimizer adam --batch 64 --hidden 100

if compgen -G "$reports/*" > /dev/null; then
  echo "sanitizer reports:" >&2
  cat "$reports"/* >&2
  exit 1
fi
echo "no sanitizer reports"
