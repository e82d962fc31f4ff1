#!/usr/bin/env bash
# Set up a development or demo machine (Debian/Ubuntu): system packages, npm dependencies, build,
# and the demo recording. Idempotent.
#   bash scripts/setup.sh          what the daemon and the demo need
#   bash scripts/setup.sh --test   also what the test suite needs (Mosquitto, gpsd, Chromium, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_packages=(
  ffmpeg                        # decodes recordings and cameras, encodes the demo recording
  fonts-dejavu-core fontconfig  # plate text in the rendered demo scene
)
# Packages only the tests need. Each feature's tests start their own instance of these.
test_packages=(
  python3-torch python3-torchvision python3-onnx python3-numpy python3-pil libopenblas0-pthread  # recogniser training smoke test (scripts/train)
  fonts-liberation fonts-urw-base35 fonts-roboto fonts-opendin fonts-bebas-neue fonts-routed-gothic fonts-b612 fonts-freefont-ttf fonts-noto-core  # plate fonts for the synthetic generator
  chromium                      # officer console end-to-end tests (playwright-core drives Debian's build)
  gpsd gpsd-clients socat       # GPS tests: gpsfake (gpsd-clients) and serial NMEA over a socat pty pair
  udev                          # serialport's SerialPort.list(); /dev/v4l names on units
  aravis-tools aravis-tools-cli gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good  # GigE: arv-fake-gv-camera-0.8, arv-tool-0.8, aravissrc
  python3-gi gir1.2-gst-rtsp-server-1.0  # the local RTSP server fixture (test/fixtures/rtsp-server.py)
  iproute2                      # ip netns: GigE tests run in a loopback-only network namespace
  systemd                       # systemd-analyze verify/security, systemd-notify
  shellcheck                    # scripts/install.sh
  clang lld                     # scripts/build-wasm.sh: the test that the committed crop module is built from its C source
  mosquitto openssl             # sync tests and the selftest broker check: a real broker with password and mutual-TLS listeners; test certificates
  qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross g++-aarch64-linux-gnu  # ARM64 release check (scripts/arm64-check.sh): emulator, arm64 sysroot, cross-compiler for better-sqlite3
)

packages=("${runtime_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then packages+=("${test_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# onnxruntime-node's install script would fetch CUDA add-ons from a host this network cannot
# reach; its CPU build is inside the package.
export ONNXRUNTIME_NODE_INSTALL=skip
# `npm install` rather than `npm ci`: npm 11 rejects this lock file in `ci` over an optional
# Windows-only dependency of vite it never installs here; versions still come from the lock.
npm install --no-audit --no-fund
npm run build
node scripts/make-demo-video.mjs
