# shellcheck shell=bash
# client-install.sh — one client identity's files on its host: ca.crt, client.crt, client.key,
# 0600 in a 0700 folder of the SSH user's home (no root needed). Reads from the data header:
# IDENTITY, CLIENT_DIR (relative to $HOME). stdin: a bundle with the three files.
set -eu
umask 077
T="$HOME/$CLIENT_DIR"
mkdir -p "$T"; chmod 0700 "$HOME/.mqtt-lab" "$T"
rm -rf "$T"/.stage.*
S=$(mktemp -d "$T/.stage.XXXXXX")
trap 'rm -rf "$S"' EXIT
read_bundle "$S"
for f in ca.crt client.crt client.key; do
  [ -s "$S/$f" ] || { echo "mqtt-lab: $f missing from the bundle" >&2; exit 2; }
  mv -f "$S/$f" "$T/$f"
done
echo "mqtt-lab: client $IDENTITY files in $T"
