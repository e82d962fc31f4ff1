#!/usr/bin/env bash
# Install lpr-edge on a Debian 12 / Ubuntu 22.04+ unit (arm64 or x86-64).
#
#   sudo scripts/install.sh [--dry-run] [--prefix /opt/lpr-edge] [--no-apt] [--no-start]
#                           [--root DIR] [--user NAME]
#
# --root DIR installs into DIR as if it were / (image building, tests); --user NAME runs the daemon
# as an existing account instead of creating the "lpr-edge" system user.
# Idempotent: every step checks before it acts, so running it again (an upgrade, or after a
# failure half way) only does what is missing. --dry-run prints every action without doing it.
# It creates only the *system* account the daemon runs as; it never creates people's accounts
# (the agency's user roster comes from the admin or headquarters, see docs/policy).
set -euo pipefail

PREFIX=/opt/lpr-edge
CONFIG_DIR=/etc/lpr-edge
DATA_DIR=/var/lib/lpr-edge
UNIT_DIR=/etc/systemd/system
SERVICE_USER=lpr-edge
CREATE_USER=1
ROOT=
DRY_RUN=0
APT=1
START=1
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
 sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift ;;
    --no-apt) APT=0 ;;
    --no-start) START=0 ;;
    --root) ROOT="${2:?--root needs a directory}"; shift ;;
    --user) SERVICE_USER="${2:?--user needs a name}"; CREATE_USER=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
# Everything below writes under $ROOT (empty = the real system).
PREFIX="$ROOT$PREFIX"
CONFIG_DIR="$ROOT$CONFIG_DIR"
DATA_DIR_ON_DISK="$ROOT$DATA_DIR"
UNIT_DIR="$ROOT$UNIT_DIR"
BIN_LINK="$ROOT/usr/local/bin/lpr-edge"
if [ -n "$ROOT" ]; then START=0; fi

# Debian packages the daemon uses at run time.
APT_PACKAGES=(
  ffmpeg            # USB (V4L2) and RTSP capture, recordings
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good libaravis-0.8-0  # GigE Vision (aravissrc)
  aravis-tools-cli  # arv-tool-0.8: GigE camera discovery for provisioning
  gpsd gpsd-clients # GPS receiver sharing
  udev              # /dev/v4l/by-id names, serial port listing
  systemd           # service manager, systemd-notify
)

say() { printf '%s\n' "$*"; }

# Run a command, or print it in --dry-run mode.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    say "[dry-run] $(printf '%q ' "$@")"
  else
    say "+ $(printf '%q ' "$@")"
    "$@"
  fi
}

# Node.js 20 or newer is required; Debian 12 and Ubuntu 24.04 ship 18, so it is not taken from apt.
check_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 20 ]; then
    say "Node.js: $(node --version)"
  elif [ "$DRY_RUN" = 1 ]; then
    say "WARNING: Node.js 20 or newer is needed (found ${major:-none}); install it (NodeSource packages or the official arm64/x64 tarball) before a real install"
  else
    echo "install.sh: Node.js 20 or newer is needed (found ${major:-none}); install it from NodeSource or the official tarball, then run install.sh again" >&2
    exit 1
  fi
}

need_root() {
  if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (sudo), or use --dry-run to see what it would do" >&2
    exit 1
  fi
}

check_platform() {
  local arch
  arch="$(uname -m)"
  case "$arch" in
    aarch64|arm64|x86_64|amd64) ;;
    *) echo "install.sh: unsupported architecture $arch (arm64 or x86-64 only)" >&2; exit 1 ;;
  esac
  if [ ! -r /etc/os-release ] || ! grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release; then
    echo "install.sh: this installer supports Debian and Ubuntu only" >&2
    exit 1
  fi
  say "platform: $arch, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"
}

install_packages() {
  [ "$APT" = 1 ] || { say "skipping Debian packages (--no-apt)"; return; }
  local missing=()
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all present"
    return
  fi
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

create_system_user() {
  if [ "$CREATE_USER" = 0 ]; then
    getent passwd "$SERVICE_USER" >/dev/null || { echo "install.sh: user $SERVICE_USER does not exist" >&2; exit 1; }
    say "service user: $SERVICE_USER (existing account, --user)"
    return
  fi
  if getent passwd "$SERVICE_USER" >/dev/null; then
    say "system user $SERVICE_USER: present"
  else
    run useradd --system --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin \
      --comment "lpr-edge daemon" "$SERVICE_USER"
  fi
  local g
  for g in video dialout; do
    if getent group "$g" >/dev/null && ! id -nG "$SERVICE_USER" 2>/dev/null | tr ' ' '\n' | grep -qx "$g"; then
      run usermod -aG "$g" "$SERVICE_USER"
    fi
  done
}

install_app() {
  if [ ! -f "$SRC_DIR/dist/cli.js" ]; then
    echo "install.sh: $SRC_DIR/dist/cli.js is missing; run 'npm run setup' (or use a release tarball) first" >&2
    [ "$DRY_RUN" = 1 ] || exit 1
  fi
  [ -d "$PREFIX" ] || run install -d -m 0755 "$PREFIX"
  # rsync would be nicer; cp -a keeps this to coreutils. Only changed files are rewritten by --update.
  local item
  for item in bin dist models node_modules package.json systemd docs; do
    if [ -e "$SRC_DIR/$item" ]; then
      run cp -a --update "$SRC_DIR/$item" "$PREFIX/"
    fi
  done
  if [ "$(readlink "$BIN_LINK" 2>/dev/null)" = "$PREFIX/bin/lpr-edge.js" ]; then
    say "command: $BIN_LINK present"
  else
    run install -d -m 0755 "$(dirname "$BIN_LINK")"
    run ln -sfn "$PREFIX/bin/lpr-edge.js" "$BIN_LINK"
  fi
}

# A directory with owner, group and mode 0750, created or fixed only when it differs.
ensure_dir() {
  local dir="$1" owner="$2" group="$3"
  local group_name
  group_name="$(id -gn "$group" 2>/dev/null || echo "$group")"
  if [ -d "$dir" ] && [ "$(stat -c '%U:%G:%a' "$dir")" = "$owner:$group_name:750" ]; then
    say "directory $dir: present"
  else
    run install -d -m 0750 -o "$owner" -g "$group_name" "$dir"
  fi
}

create_dirs() {
  ensure_dir "$CONFIG_DIR" root "$SERVICE_USER"
  ensure_dir "$DATA_DIR_ON_DISK" "$SERVICE_USER" "$SERVICE_USER"
  if [ -f "$CONFIG_DIR/config.yaml" ]; then
    say "config: $CONFIG_DIR/config.yaml present (kept; change it with 'lpr-edge provision')"
  else
    say "config: none yet; run 'sudo lpr-edge provision' after installing"
  fi
}

install_unit() {
  local src="$SRC_DIR/systemd/lpr-edge.service"
  local dst="$UNIT_DIR/lpr-edge.service"
  if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
    say "unit: $dst up to date"
  else
    [ -d "$UNIT_DIR" ] || run install -d -m 0755 "$UNIT_DIR"
    run install -m 0644 "$src" "$dst"
    [ -n "$ROOT" ] || run systemctl daemon-reload
  fi
  if [ "$START" = 1 ]; then
    run systemctl enable lpr-edge.service
    if [ -f "$CONFIG_DIR/config.yaml" ]; then
      run systemctl restart lpr-edge.service
    else
      say "not starting lpr-edge yet: no config (run 'sudo lpr-edge provision', then 'sudo systemctl start lpr-edge')"
    fi
  fi
}

need_root
check_platform
check_node
install_packages
create_system_user
install_app
create_dirs
install_unit
say "done. Check the unit with: sudo lpr-edge selftest"
