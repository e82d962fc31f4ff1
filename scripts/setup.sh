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
