# shellcheck shell=bash
# inspect.sh — what `pulumi refresh` (and every preview) sees on a host: the lab's files, the
# broker's conf.d and listeners. It only reads: nothing on the host changes. Runs as the SSH user;
# files only root may read are read through as_root (lib.sh). Reads from the data header
# (src/remote/compose.ts): FILES and DIRS (absolute paths), HOME_FILES and HOME_DIRS (relative to
# the SSH user's home), CA_DIR (the broker's trusted-CA directory, or empty), CONF_D and CONF (the
# broker's conf.d and our file in it, or empty), RIVAL_DIRECTIVES, CHECK_MOSQUITTO (yes/no), SSH_PORT,
# AS_ROOT.
#
# Prints one line per thing seen, which src/drift/compare.ts reads (paths have no spaces):
#   file PATH SHA256 MODE OWNER:GROUP     or   file PATH missing
#   dir PATH MODE OWNER:GROUP             or   dir PATH missing
#   cafile NAME SHA256 MODE OWNER:GROUP   each file in the CA directory
#   calink NAME TARGET                    each hash link in it (openssl rehash)
#   rival FILE LINE DIRECTIVE             a line of another conf.d file that opens a listener or
#                                         changes access rules
#   mosquitto running|stopped
#   listen PORT                           each TCP port open to the network, SSH's aside
set -u

# describe_file PATH: content hash, mode and owner of one file.
describe_file() {
  if as_root test -f "$1"; then
    echo "file $1 $(as_root sha256sum "$1" | cut -d' ' -f1) $(as_root stat -c '%a %U:%G' "$1")"
  else
    echo "file $1 missing"
  fi
}

# describe_dir PATH: mode and owner of one directory (of what a symlink points to).
describe_dir() {
  if as_root test -d "$1"; then echo "dir $1 $(as_root stat -L -c '%a %U:%G' "$1")"; else echo "dir $1 missing"; fi
}

for d in $DIRS; do describe_dir "$d"; done
for d in $HOME_DIRS; do describe_dir "$HOME/$d"; done
for f in $FILES; do describe_file "$f"; done
for f in $HOME_FILES; do describe_file "$HOME/$f"; done

# The trusted CAs: every file of the directory, and the hash links that make mosquitto find them.
if [ -n "$CA_DIR" ] && as_root test -d "$CA_DIR"; then
  for name in $(as_root ls -A "$CA_DIR"); do
    p="$CA_DIR/$name"
    if as_root test -L "$p"; then
      echo "calink $name $(as_root readlink "$p")"
    elif as_root test -f "$p"; then
      echo "cafile $name $(as_root sha256sum "$p" | cut -d' ' -f1) $(as_root stat -c '%a %U:%G' "$p")"
    fi
  done
fi

# Other conf.d files that would widen what our conf allows. mosquitto reads every *.conf of the
# directory, dot-files too.
if [ -n "$CONF_D" ]; then
  while read -r f; do
    as_root grep -nE "$(rival_pattern)" "$f" | while IFS=: read -r line text; do
      # shellcheck disable=SC2086 # word splitting on purpose: the directive is the first word
      set -- $text
      echo "rival $f $line $1"
    done
  done < <(other_confs)
fi

# mosquitto itself: running, and the TCP ports open to the network besides SSH's (ss cannot name
# a socket's process in a container, and nothing else of ours listens on the broker).
if [ "$CHECK_MOSQUITTO" = yes ]; then
  if pgrep -x mosquitto >/dev/null; then echo "mosquitto running"; else echo "mosquitto stopped"; fi
  for p in $(network_ports "$SSH_PORT"); do echo "listen $p"; done
fi
exit 0
