#!/usr/bin/env bash
# Install lpr-edge on a Debian 12 / Ubuntu 22.04+ unit (arm64 or x86-64).
#
#   sudo scripts/install.sh [--dry-run] [--prefix /opt/lpr-edge] [--no-apt] [--no-start]
#                           [--root DIR] [--user NAME] [--node PATH] [--from-tarball FILE]
#
# --from-tarball FILE installs a release tarball (lpr-edge-VERSION-linux-arm64.tar.gz, built by
# scripts/arm64-check.sh, layout in docs/arm64.md) with the Node.js it carries.
# --root DIR installs into DIR as if it were / (image building, tests); the account is created in
# DIR's etc/passwd (useradd --root DIR), never on this machine, and not at all when DIR has none.
# --user NAME runs the daemon as an existing account instead of creating the "lpr-edge" system user.
# --node PATH is the Node.js (20 or newer) the unit runs, as the unit sees it. Default: the node on
# PATH; with --root, /usr/bin/node (this machine's node says nothing about where the image has it).
# Idempotent: every step checks before it acts, so running it again (an upgrade, a rollback to an
# older release, or after a failure or power cut half way) only does what is missing or different:
# the files under the prefix become exactly the release's, whatever their dates; config and data
# are kept.
# --dry-run prints every action without doing it.
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
FROM_TARBALL=
NODE_OPTION=
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
 sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift ;;
    --no-apt) APT=0 ;;
    --no-start) START=0 ;;
    --root) ROOT="${2:?--root needs a directory}"; shift ;;
    --user) SERVICE_USER="${2:?--user needs a name}"; CREATE_USER=0; shift ;;
    --node) NODE_OPTION="${2:?--node needs the path of node}"; shift ;;
    --from-tarball) FROM_TARBALL="${2:?--from-tarball needs a file}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
# Everything below writes under $ROOT (empty = the real system).
[ "$PREFIX" = / ] || PREFIX="${PREFIX%/}" # --prefix /srv/lpr/: the unit's paths get no double slash
UNIT_PREFIX="$PREFIX" # the prefix as the unit sees it (links and the unit drop-in are read there)
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
  v4l-utils         # v4l2-ctl: a USB camera's frame size for provisioning
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
# The Node.js the unit runs (ExecStart): --node PATH, else the one on PATH that check_node accepted,
# else (with --root, an image) /usr/bin/node.
NODE_BIN=/usr/bin/node
check_node() {
  # A release tarball (--from-tarball) brings its own Node.js.
  if [ -n "$FROM_TARBALL" ]; then say "Node.js: the release's own"; return; fi
  case "${NODE_OPTION:-/}" in
    /*) ;;
    *) echo "install.sh: --node $NODE_OPTION: give the absolute path of node (e.g. /usr/bin/node)" >&2; exit 2 ;;
  esac
  if [ -n "$ROOT" ]; then
    # An image being built: the node found here is the builder's (an nvm folder, a CI tool cache),
    # which the unit will not have. Its version cannot be asked either (the image may be another CPU).
    NODE_BIN="${NODE_OPTION:-/usr/bin/node}"
    say "Node.js: $NODE_BIN (in the image, the unit's ExecStart)"
    if [ ! -x "$ROOT$NODE_BIN" ]; then
      say "WARNING: $ROOT$NODE_BIN does not exist: install Node.js 20 or newer in the image there, or give --node PATH (where the image has it)"
    fi
    return
  fi
  local node="${NODE_OPTION:-node}" major
  major="$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 20 ]; then
    # The unit runs the node checked here, not whatever /usr/bin/node is (NodeSource and the
    # official tarball put it elsewhere, e.g. /usr/local/bin/node).
    NODE_BIN="${NODE_OPTION:-$(command -v node)}"
    case "$NODE_BIN" in /*) ;; *) NODE_BIN="$(cd "$(dirname "$NODE_BIN")" && pwd)/$(basename "$NODE_BIN")" ;; esac
    say "Node.js: $("$node" --version) ($NODE_BIN, the unit's ExecStart)"
  elif [ "$DRY_RUN" = 1 ]; then
    say "WARNING: Node.js 20 or newer is needed (found ${major:-none}${NODE_OPTION:+ at $NODE_OPTION}); install it (NodeSource packages or the official arm64/x64 tarball) before a real install"
  else
    echo "install.sh: Node.js 20 or newer is needed (found ${major:-none}${NODE_OPTION:+ at $NODE_OPTION}); install it from NodeSource or the official tarball, then run install.sh again" >&2
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

# The unit's accounts. With --root DIR they are DIR's (an image being built): looked up in
# DIR/etc/passwd and DIR/etc/group, and useradd/usermod get --root DIR (they chroot into it), so
# nothing is created on this machine. A --root tree without etc/passwd (a staging tree, the tests')
# has no accounts to create one in; --user then names an account of this machine.
target_accounts() { [ -n "$ROOT" ] && [ -f "$ROOT/etc/passwd" ]; }

# The passwd or group entry of $2 (a name or a number) in the unit's accounts.
account_entry() {
  if target_accounts; then
    [ -f "$ROOT/etc/$1" ] && awk -F: -v key="$2" '$1 == key || $3 == key { print; found = 1; exit } END { exit !found }' "$ROOT/etc/$1"
  else
    getent "$1" "$2"
  fi
}

# Whether user $1 is a member of group $2 (listed in it; the user's own group is not asked about).
in_group() {
  account_entry group "$2" | cut -d: -f4 | tr ',' '\n' | grep -qx "$1"
}

create_system_user() {
  if [ "$CREATE_USER" = 0 ]; then
    account_entry passwd "$SERVICE_USER" >/dev/null || { echo "install.sh: user $SERVICE_USER does not exist${ROOT:+ in $ROOT}" >&2; exit 1; }
    say "service user: $SERVICE_USER (existing account, --user)"
    return
  fi
  if [ -n "$ROOT" ] && ! target_accounts; then
    local why="$ROOT has no etc/passwd to create the $SERVICE_USER account in (install into a whole system tree, or give --user NAME of an existing account)"
    if [ "$DRY_RUN" = 1 ]; then
      say "WARNING: service account not created: $why"
      return
    fi
    echo "install.sh: $why" >&2
    exit 1
  fi
  local on_target=()
  if target_accounts; then on_target=(--root "$ROOT"); fi
  if account_entry passwd "$SERVICE_USER" >/dev/null; then
    say "system user $SERVICE_USER${ROOT:+ in $ROOT}: present"
  else
    # --user-group: the unit runs with Group=$SERVICE_USER, whatever the target's login.defs says.
    run useradd "${on_target[@]}" --system --user-group --home-dir "$DATA_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "lpr-edge daemon" "$SERVICE_USER"
  fi
  local g
  for g in video dialout; do
    if account_entry group "$g" >/dev/null && ! in_group "$SERVICE_USER" "$g"; then
      run usermod "${on_target[@]}" -aG "$g" "$SERVICE_USER"
    fi
  done
}

# What a file or directory tree holds: each path with its type, mode and link target, and each
# file's SHA-256. Equal signatures mean the same files, whatever their modification times say.
tree_signature() {
  local name
  name="$(basename "$1")"
  (
    cd "$(dirname "$1")" || exit 1
    find "$name" -printf '%y %m %p %l\n' | LC_ALL=C sort
    find "$name" -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
  )
}

present() { [ -e "$1" ] || [ -L "$1" ]; }

# Parts copied beside their installed copy ($dst.new) by replace_tree, for swap_staged to put in place.
STAGED=()

# Make $2 an exact copy of $1 (a file or a directory). Unchanged: left alone. Changed in any way
# (content, mode, a file added or gone): copied whole beside it ($2.new), and swap_staged renames
# it in place, so an older release installed over a newer one (a rollback) puts back every older
# file and drops files the newer one added (cp --update went by mtimes and left the newer files),
# and a running executable is never written over (node/bin/node: "Text file busy").
replace_tree() {
  local src="$1" dst="$2"
  local leftovers=("$dst.new" "$dst.old")
  # A power cut between swap_staged's two renames leaves the installed copy as $dst.old and no
  # $dst (the unit then has no dist/, say). Put it back before anything else: it is the only whole
  # copy, and the unit keeps it until the new one is in place.
  if ! present "$dst" && present "$dst.old"; then
    run mv -T "$dst.old" "$dst"
    leftovers=("$dst.new")
  fi
  # With $dst whole, a .new or .old left by an interrupted install is of no use.
  local leftover
  if [ -e "$dst" ] && [ "$(tree_signature "$src")" = "$(tree_signature "$dst")" ]; then
    say "$dst: up to date"
    for leftover in "${leftovers[@]}"; do if present "$leftover"; then run rm -rf "$leftover"; fi; done
    return 0
  fi
  for leftover in "${leftovers[@]}"; do if present "$leftover"; then run rm -rf "$leftover"; fi; done
  run cp -a "$src" "$dst.new"
  STAGED+=("$dst")
}

# Put every staged part in place. The copies are written to disk first (sync): otherwise a rename
# can reach the disk before the data of the files it puts in place, and a power cut then leaves
# empty or torn files under the prefix. Then only renames, all parts one after the other, so the
# release is mixed for milliseconds rather than for the length of the copies. The two renames of a
# part are not one atomic step (mv --exchange needs coreutils 9.5; Debian 12 has 9.1, Ubuntu 24.04
# 9.4): a cut between them is repaired by the next run (replace_tree above).
swap_staged() {
  [ ${#STAGED[@]} -gt 0 ] || return 0
  run sync -f "$PREFIX" # syncfs of the filesystem the prefix is on: one for all the parts
  local dst olds=()
  for dst in "${STAGED[@]}"; do
    if present "$dst"; then
      run mv -T "$dst" "$dst.old"
      olds+=("$dst.old")
    fi
    run mv -T "$dst.new" "$dst"
  done
  # And the renames: a unit switched off right after "done" must come back with this release.
  run sync -f "$PREFIX"
  for dst in "${olds[@]}"; do run rm -rf "$dst"; done
  STAGED=()
}

# Remove a part the release being installed does not have, with any staging copies of it.
remove_part() {
  local p
  for p in "$1" "$1.new" "$1.old"; do
    if present "$p"; then run rm -rf "$p"; fi
  done
}

# The lpr-edge command in PATH, pointing at $1 under the prefix as the unit sees it: with --root
# DIR the link is followed on the unit, where DIR is /.
link_command() {
  local target="$UNIT_PREFIX/$1"
  if [ "$(readlink "$BIN_LINK" 2>/dev/null)" = "$target" ]; then
    say "command: $BIN_LINK present"
  else
    run install -d -m 0755 "$(dirname "$BIN_LINK")"
    run ln -sfn "$target" "$BIN_LINK"
  fi
}

install_app() {
  if [ ! -f "$SRC_DIR/dist/cli.js" ]; then
    echo "install.sh: $SRC_DIR/dist/cli.js is missing; run 'bash scripts/setup.sh' (or use a release tarball) first" >&2
    [ "$DRY_RUN" = 1 ] || exit 1
  fi
  [ -d "$PREFIX" ] || run install -d -m 0755 "$PREFIX"
  # These belong to the release, whole: the daemon writes nothing under $PREFIX (ProtectSystem=strict);
  # its config and data live in /etc/lpr-edge and /var/lib/lpr-edge, which this never replaces.
  # coreutils and findutils only (no rsync on a minimal image).
  # node, MANIFEST.json and lpr-edge come only with a release tarball (its Node.js and launcher).
  # Installing a work tree after a tarball removes them: the unit would otherwise keep running the
  # tarball's Node.js with this tree's native modules (another ABI).
  local item src
  for item in bin dist models node_modules package.json systemd docs node MANIFEST.json lpr-edge; do
    src="$SRC_DIR/$item"
    case "$item" in node|MANIFEST.json|lpr-edge) [ -n "$FROM_TARBALL" ] || src= ;; esac
    if [ -n "$src" ] && [ -e "$src" ]; then
      replace_tree "$src" "$PREFIX/$item"
    else
      remove_part "${PREFIX:?}/$item" # the release being installed has none (an older one, say)
    fi
  done
  swap_staged
  if [ -n "$FROM_TARBALL" ]; then
    : # the command goes to the release's launcher (install_release_runtime), not bin/lpr-edge.js
  else
    link_command bin/lpr-edge.js
  fi
}

# The service user's uid and gid ("UID GID"), from the unit's accounts: numbers, because with
# --root the names may mean nothing (or another account) on this machine. In --dry-run an account
# still to be created is shown by name.
service_ids() {
  local entry
  if entry="$(account_entry passwd "$SERVICE_USER")"; then
    printf '%s %s\n' "$(echo "$entry" | cut -d: -f3)" "$(echo "$entry" | cut -d: -f4)"
  elif [ "$DRY_RUN" = 1 ]; then
    printf '%s %s\n' "$SERVICE_USER" "$SERVICE_USER"
  else
    echo "install.sh: no account $SERVICE_USER${ROOT:+ in $ROOT}" >&2
    exit 1
  fi
}

# A directory with owner, group (numbers) and mode 0750, created or fixed only when it differs.
ensure_dir() {
  local dir="$1" uid="$2" gid="$3"
  if [ -d "$dir" ] && [ "$(stat -c '%u:%g:%a' "$dir")" = "$uid:$gid:750" ]; then
    say "directory $dir: present"
  else
    run install -d -m 0750 -o "$uid" -g "$gid" "$dir"
  fi
}

# A file the daemon reads: group $2 (the service's), mode 0640, changed only when it differs.
share_with_service() {
  local file="$1" gid="$2"
  [ -f "$file" ] || return 0
  if [ "$(stat -c '%g:%a' "$file")" = "$gid:640" ]; then
    say "file $file: readable by the service"
  else
    run chgrp "$gid" "$file"
    run chmod 0640 "$file"
  fi
}

# The files a config names for the daemon to read (sync's ca/cert/key, hqPublicKey, passwordFile),
# one absolute path a line, as the unit sees them (an inline PEM key is no path and is left out).
config_files() {
  sed -n -E "s/^[[:space:]]+(ca|cert|key|hqPublicKey|passwordFile):[[:space:]]*[\"']?(\/[^\"']+)[\"']?[[:space:]]*$/\2/p" "$1"
}

create_dirs() {
  local ids
  ids="$(service_ids)"
  ensure_dir "$CONFIG_DIR" 0 "${ids#* }" # root:<service group>: the daemon reads its config
  ensure_dir "$DATA_DIR_ON_DISK" "${ids% *}" "${ids#* }"
  if [ -f "$CONFIG_DIR/config.yaml" ]; then
    say "config: $CONFIG_DIR/config.yaml present (kept; change it with 'lpr-edge provision')"
    # Provisioned before this install (root:root files), the daemon could read neither the config
    # nor the certificates it names: they get the service group, mode 0640 (owner kept).
    local f
    for f in "$CONFIG_DIR/config.yaml" "$CONFIG_DIR/config.yaml.prev"; do share_with_service "$f" "${ids#* }"; done
    while IFS= read -r f; do share_with_service "$ROOT$f" "${ids#* }"; done < <(config_files "$CONFIG_DIR/config.yaml")
  else
    say "config: none yet; run 'sudo lpr-edge provision' after installing"
  fi
}

# The service user's own group, by name (Group= in the unit): the group of its passwd entry's gid
# (in --dry-run, before the account exists, the group useradd --user-group will create).
service_group() {
  local ids gid
  ids="$(service_ids)"
  gid="${ids#* }"
  account_entry group "$gid" | cut -d: -f1 | grep . || echo "$gid"
}

# $1 made safe as the replacement of a sed s|||.
sed_replacement() { printf '%s' "$1" | sed 's/[\\&|]/\\&/g'; }

# The unit as this install runs it: systemd/lpr-edge.service names /opt/lpr-edge (ExecStart,
# Documentation), /usr/bin/node and the lpr-edge account (User=, Group=); --prefix, the Node.js
# check_node chose and --user go in their place.
unit_text() {
  sed -e "s|/opt/lpr-edge/|$(sed_replacement "$UNIT_PREFIX")/|g" \
    -e "s|^ExecStart=/usr/bin/node |ExecStart=$(sed_replacement "$NODE_BIN") |" \
    -e "s|^User=.*|User=$(sed_replacement "$SERVICE_USER")|" \
    -e "s|^Group=.*|Group=$(sed_replacement "$(service_group)")|" \
    "$SRC_DIR/systemd/lpr-edge.service"
}

install_unit() {
  local dst="$UNIT_DIR/lpr-edge.service" want
  want="$(unit_text)"
  if [ -f "$dst" ] && [ "$(cat "$dst")" = "$want" ]; then
    say "unit: $dst up to date"
  else
    [ -d "$UNIT_DIR" ] || run install -d -m 0755 "$UNIT_DIR"
    local what
    what="systemd/lpr-edge.service with $(printf '%s\n' "$want" | grep -E '^(ExecStart|User|Group)=' | paste -sd ' ')"
    if [ "$DRY_RUN" = 1 ]; then
      say "[dry-run] write $dst ($what)"
    else
      # Beside it, then renamed over it: the unit is never half written.
      printf '%s\n' "$want" >"$dst.new"
      chmod 0644 "$dst.new"
      mv -f "$dst.new" "$dst"
      say "+ wrote $dst ($what)"
    fi
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

# --- Release tarball (--from-tarball): owned by the ARM64 release (docs/arm64.md) ---------------
# Kept to these two functions (and the three parts install_app adds for a tarball).
# use_release_tarball: checks FILE against FILE.sha256 (when beside it) and that it was built for
# this machine's CPU and glibc, unpacks it, and points SRC_DIR at it: the steps above then install
# the release instead of this work tree. The release carries its own Node.js (node/bin/node, the
# version its native modules were built for), so Debian's nodejs package is not installed.
# That Node.js (node/), the release's MANIFEST.json and lpr-edge wrapper are installed by
# install_app with the other parts (all swapped in together); install_release_runtime points the
# lpr-edge command at the wrapper and runs the unit with that Node.js (a drop-in, so the unit file
# itself stays the project's). Without --from-tarball it removes that drop-in, as install_app
# removes node/, MANIFEST.json and the wrapper: a work tree runs with the system's Node.js.
RELEASE_TMP=
use_release_tarball() {
  [ -n "$FROM_TARBALL" ] || return 0
  [ -f "$FROM_TARBALL" ] || { echo "install.sh: --from-tarball $FROM_TARBALL: no such file" >&2; exit 1; }
  if [ -f "$FROM_TARBALL.sha256" ] && ! (cd "$(dirname "$FROM_TARBALL")" && sha256sum -c --quiet "$(basename "$FROM_TARBALL").sha256" >/dev/null 2>&1); then
    echo "install.sh: $FROM_TARBALL does not match $FROM_TARBALL.sha256 (damaged or incomplete copy)" >&2
    exit 1
  fi
  RELEASE_TMP="$(mktemp -d)"
  trap 'rm -rf "$RELEASE_TMP"' EXIT
  tar -xzf "$FROM_TARBALL" -C "$RELEASE_TMP" || { echo "install.sh: $FROM_TARBALL: not a release tarball" >&2; exit 1; }
  local rel="$RELEASE_TMP/lpr-edge" manifest
  manifest="$rel/MANIFEST.json"
  if [ ! -f "$manifest" ] || [ ! -x "$rel/node/bin/node" ] || [ ! -f "$rel/dist/cli.js" ]; then
    echo "install.sh: $FROM_TARBALL: not a release tarball (expected lpr-edge/MANIFEST.json, node/bin/node, dist/cli.js)" >&2
    exit 1
  fi
  local cpu glibc here
  cpu="$(sed -n 's/^ *"cpu": *"\([a-z0-9_]*\)".*/\1/p' "$manifest" | head -n 1)"
  glibc="$(sed -n 's/^ *"minGlibc": *"\([0-9.]*\)".*/\1/p' "$manifest" | head -n 1)"
  # With --root the target is another system (an image being built): its CPU is not this one's.
  if [ -z "$ROOT" ]; then
    case "$(uname -m)" in aarch64|arm64) here=arm64 ;; x86_64|amd64) here=x64 ;; *) here="$(uname -m)" ;; esac
    if [ "$cpu" != "$here" ]; then
      echo "install.sh: $FROM_TARBALL is built for $cpu; this machine is $here" >&2
      exit 1
    fi
    local have
    have="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
    if [ -n "$glibc" ] && [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$glibc" "$have" | sort -V | head -n 1)" != "$glibc" ]; then
      echo "install.sh: this release needs glibc $glibc or newer; this system has $have (Debian 12 / Ubuntu 22.04 or newer)" >&2
      exit 1
    fi
  fi
  local p kept=()
  for p in "${APT_PACKAGES[@]}"; do [ "$p" = nodejs ] || kept+=("$p"); done
  APT_PACKAGES=("${kept[@]}")
  SRC_DIR="$rel"
  say "release: $(basename "$FROM_TARBALL") ($cpu, $("$rel/node/bin/node" --version 2>/dev/null || echo "Node.js for $cpu"))"
}

install_release_runtime() {
  local dropin_dir="$UNIT_DIR/lpr-edge.service.d" want
  if [ -z "$FROM_TARBALL" ]; then
    # A work tree installed after a tarball: install_app removed the tarball's Node.js; the drop-in
    # naming it goes too, so the unit runs bin/lpr-edge.js with the system's Node.js again. Other
    # drop-ins in that directory are the admin's and stay.
    if [ -f "$dropin_dir/release-node.conf" ]; then
      run rm -f "$dropin_dir/release-node.conf"
      run rmdir --ignore-fail-on-non-empty "$dropin_dir"
      [ -n "$ROOT" ] || run systemctl daemon-reload
    fi
    return 0
  fi
  link_command lpr-edge
  want="$(printf '%s\n' '# Written by install.sh --from-tarball: run with the Node.js that ships in the release.' \
    '[Service]' 'ExecStart=' \
    "ExecStart=$UNIT_PREFIX/node/bin/node $UNIT_PREFIX/bin/lpr-edge.js run --config ${CONFIG_DIR#"$ROOT"}/config.yaml")"
  if [ -f "$dropin_dir/release-node.conf" ] && [ "$(cat "$dropin_dir/release-node.conf")" = "$want" ]; then
    say "unit drop-in: $dropin_dir/release-node.conf up to date"
  elif [ "$DRY_RUN" = 1 ]; then
    say "[dry-run] write $dropin_dir/release-node.conf (ExecStart with $UNIT_PREFIX/node/bin/node)"
  else
    install -d -m 0755 "$dropin_dir"
    printf '%s\n' "$want" >"$dropin_dir/release-node.conf"
    say "+ wrote $dropin_dir/release-node.conf"
    [ -n "$ROOT" ] || run systemctl daemon-reload
  fi
}
# --- end of the release tarball functions --------------------------------------------------------

need_root
check_platform
use_release_tarball
check_node
install_packages
create_system_user
install_app
install_release_runtime
create_dirs
install_unit
say "done. Check the unit with: sudo lpr-edge selftest"
