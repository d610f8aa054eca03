# shellcheck shell=bash
# client-remove.sh — destroy: removes one identity's files (CLIENT_DIR, relative to $HOME).
rm -rf "${HOME:?}/$CLIENT_DIR"; rmdir "$HOME/.mqtt-lab" 2>/dev/null || true
