# shellcheck shell=bash
# bundle.sh — the shell side of the bundle codec: files on stdin (and, for the report's captures,
# on stdout). The program sends it ahead of every script that reads or writes a bundle, after the
# data header; it only defines functions and runs nothing by itself.

# A bundle is one "name base64" line per file, then "__end__ COUNT". src/remote/bundle.ts writes and
# reads the same format (test/unit/bundle.test.ts holds them together).

# read_bundle DIR: writes each file of the stdin bundle into DIR. Refuses names with a path, and a
# bundle cut short (a copy killed midway); accepts the end line without its newline (the command
# provider hands stdout on without it), no other line.
read_bundle() {
  local dir=$1 count=0 whole=no name b64
  while IFS=' ' read -r name b64 || [ "${name:-}" = __end__ ]; do
    [ -n "$name" ] || continue
    if [ "$name" = __end__ ]; then [ "$b64" = "$count" ] && whole=yes; break; fi
    case "$name" in */*|.*) echo "mqtt-lab: refusing bundle file name $name" >&2; exit 2 ;; esac
    printf '%s' "$b64" | base64 -d > "$dir/$name"
    count=$((count+1))
  done
  [ $whole = yes ] || { echo "mqtt-lab: the bundle on stdin was cut short (a copy killed midway?): nothing was changed" >&2; exit 2; }
}

# write_bundle DIR FILE...: prints the files of DIR as a bundle on stdout.
write_bundle() {
  local dir=$1 f
  shift
  for f in "$@"; do printf '%s %s\n' "$f" "$(base64 -w0 "$dir/$f")"; done
  echo "__end__ $#"
}
