# shellcheck shell=bash
# Sourced by scripts/setup.sh and by the `pulumi` launcher (toolchain/launcher.sh) with
# MQTTLAB_ROOT set to an mqtt-lab checkout. It sets only what the user has not set:
#   PATH                the toolchain's bin first (language host, dynamic-provider launcher)
#   PULUMI_HOME         $MQTTLAB_CACHE/pulumi-home, where the project's plugins are
#   offline switches    no update check, no plugin download, no registry look-up
#   PULUMI_BACKEND_URL  file://$MQTTLAB_ROOT/.pulumi-state (git-ignored)
#   PULUMI_CONFIG_PASSPHRASE_FILE  this user's passphrase file, made on first use (below);
#                       unless PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set
# shellcheck source=toolchain/env.sh
. "$MQTTLAB_ROOT/toolchain/env.sh"

# The local passphrase: made once per machine and user, 256 random bits, 0600 in a 0700 folder
# outside any checkout. Losing it loses the lab's keys (README, "State, passphrase and backups").
mqttlab_passphrase_path() { printf '%s\n' "${XDG_CONFIG_HOME:-${HOME:?HOME is not set}/.config}/mqtt-lab/passphrase"; }
mqttlab_passphrase_file() {
  local file dir tmp mode
  file=$(mqttlab_passphrase_path) || return 1
  dir=${file%/*}
  if [ ! -e "$file" ]; then
    (umask 077 && mkdir -p "$dir") || { echo "mqtt-lab: cannot create $dir for the passphrase" >&2; return 1; }
    tmp=$(umask 077 && mktemp "$dir/.passphrase.XXXXXX") || return 1
    head -c 32 /dev/urandom | base64 >"$tmp"
    # ln refuses to replace: when two shells race, the first passphrase wins and stays.
    ln "$tmp" "$file" 2>/dev/null || true
    rm -f "$tmp"
  fi
  mode=$(stat -c %a "$file")
  if [ "$mode" != 600 ] && [ "$mode" != 400 ]; then
    echo "mqtt-lab: $file is mode $mode; it must be readable by you alone: chmod 600 $file" >&2
    return 1
  fi
  [ -s "$file" ] || { echo "mqtt-lab: $file is empty: restore it from your backup (README, \"State, passphrase and backups\")" >&2; return 1; }
  printf '%s\n' "$file"
}

if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  PULUMI_BACKEND_URL="file://$MQTTLAB_ROOT/.pulumi-state"
  mkdir -p "$MQTTLAB_ROOT/.pulumi-state"
  export PULUMI_BACKEND_URL
fi
# (scripts/state.sh restore sets MQTTLAB_NO_NEW_PASSPHRASE: it puts the backup's passphrase there.)
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && [ -z "${MQTTLAB_NO_NEW_PASSPHRASE:-}" ]; then
  PULUMI_CONFIG_PASSPHRASE_FILE=$(mqttlab_passphrase_file) || return 1
  export PULUMI_CONFIG_PASSPHRASE_FILE
fi
