#!/usr/bin/env bash
# state.sh — back up and restore the local lab: the file backend (.pulumi-state/, or the
# directory of a file:// PULUMI_BACKEND_URL), the stacks' own settings (Pulumi.<stack>.yaml that
# git does not track) and this user's passphrase file. Without the passphrase, the state's
# secrets (the CA key among them) cannot be decrypted: keep the archive as safe as the key.
#
#   bash scripts/state.sh backup FILE.tar      writes FILE.tar (0600)
#   bash scripts/state.sh restore FILE.tar     into an empty backend; puts the passphrase back
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MQTTLAB_ROOT=$ROOT
[ "${1:-}" != restore ] || MQTTLAB_NO_NEW_PASSPHRASE=1
# shellcheck source=toolchain/project-env.sh
source "$ROOT/toolchain/project-env.sh"
die() { echo "state.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: bash scripts/state.sh backup|restore FILE.tar"
case "$PULUMI_BACKEND_URL" in file://*) backend=${PULUMI_BACKEND_URL#file://} ;; *) die "the backend $PULUMI_BACKEND_URL is not a local folder: back it up with its own tools" ;; esac
[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] || die "PULUMI_CONFIG_PASSPHRASE is set by hand: keep that passphrase with the backup yourself (unset it to use this machine's file)"
phrase=${PULUMI_CONFIG_PASSPHRASE_FILE:-$(mqttlab_passphrase_path)}
file=$(realpath -m "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case "$1" in
  backup)
    [ -d "$backend/.pulumi" ] || die "no state in $backend: nothing to back up"
    mkdir -p "$work/backend" "$work/stacks"
    cp -a "$backend/.pulumi" "$work/backend/"
    for f in "$ROOT"/Pulumi.*.yaml; do
      git -C "$ROOT" ls-files --error-unmatch "$f" >/dev/null 2>&1 || cp "$f" "$work/stacks/"
    done
    cp "$phrase" "$work/passphrase"
    (umask 077 && tar -C "$work" -cf "$file" .)
    echo "state.sh: backed up $backend, $(find "$work/stacks" -type f | wc -l) stack settings file(s) and the passphrase to $file (0600)"
    ;;
  restore)
    [ -f "$file" ] || die "no backup at $file"
    tar -C "$work" -xf "$file"
    if [ ! -f "$work/passphrase" ] || [ ! -d "$work/backend/.pulumi" ]; then die "$file is not a backup made by state.sh backup"; fi
    [ ! -d "$backend/.pulumi/stacks" ] || [ -z "$(ls -A "$backend/.pulumi/stacks")" ] \
      || die "the backend $backend already holds stacks: restore into an empty one (move it aside, or set PULUMI_BACKEND_URL=file://<empty folder>)"
    if [ ! -e "$phrase" ]; then
      (umask 077 && mkdir -p "$(dirname "$phrase")" && cp "$work/passphrase" "$phrase")
      echo "state.sh: restored the passphrase to $phrase (0600)"
    elif ! cmp -s "$work/passphrase" "$phrase"; then
      die "your passphrase $phrase differs from the backup's: move it aside first if you mean to replace it (a stack made with it would no longer open)"
    fi
    for f in "$work"/stacks/*.yaml; do
      [ -e "$f" ] || continue
      t="$ROOT/$(basename "$f")"
      if [ -e "$t" ] && ! cmp -s "$f" "$t"; then die "$t exists and differs from the backup's: move it aside first"; fi
      cp "$f" "$t"
    done
    mkdir -p "$backend"
    cp -a "$work/backend/.pulumi" "$backend/"
    echo "state.sh: restored $file into $backend"
    ;;
  *) die "usage: bash scripts/state.sh backup|restore FILE.tar" ;;
esac
