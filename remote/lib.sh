# shellcheck shell=bash
# lib.sh — what the host-side scripts of mqtt-lab share. The program sends it to the host ahead of
# each script that uses it, after the data header (KEY=value lines written by src/remote/compose.ts)
# and remote/bundle.sh; it only defines functions and runs nothing by itself.

# conf_listener_ports FILE: the ports of the `listener` lines of a conf the program wrote (none when
# FILE does not exist yet), on one line.
conf_listener_ports() {
  [ -e "$1" ] || return 0
  awk '$1 == "listener" { printf "%s ", $2 }' "$1"
}

# rival_pattern: an extended regex matching a conf line that starts with one of RIVAL_DIRECTIVES
# (the program's list of directives that open a listener or change access rules).
rival_pattern() { printf '^[[:space:]]*(%s)([[:space:]]|$)' "$(echo "$RIVAL_DIRECTIVES" | tr ' ' '|')"; }

# other_confs: the files of CONF_D that mosquitto reads besides ours (every *.conf, dot-files too).
other_confs() {
  local f
  for f in "$CONF_D"/*.conf "$CONF_D"/.*.conf; do
    if [ -f "$f" ] && [ "$f" != "$CONF" ]; then printf '%s\n' "$f"; fi
  done
}

# aside_name FILE: a free name to move FILE aside to, never one already taken (an earlier aside of a
# file of that name, the original, stays as it is): FILE.mqtt-lab-disabled, then .2, .3, ...
# mosquitto reads none of them (they do not end in .conf).
aside_name() {
  local n="$1.mqtt-lab-disabled" i=1
  while [ -e "$n" ] || [ -L "$n" ]; do i=$((i+1)); n="$1.mqtt-lab-disabled.$i"; done
  printf '%s\n' "$n"
}

# open_access FILE: what FILE opens to anyone, in words ("" when nothing): allow_anonymous true,
# and each listener (or the default one, `port`) without a certfile or psk_hint, i.e. plaintext.
open_access() {
  awk '
    function said(w) { out = out (out == "" ? "" : " and ") w }
    function close_listener() { if (port != "" && !secured) said("a plaintext listener on port " port); port = ""; secured = 0 }
    $1 == "listener" || $1 == "port" { close_listener(); port = $2; next }
    $1 == "certfile" || $1 == "psk_hint" { secured = 1 }
    $1 == "allow_anonymous" && $2 == "true" { anonymous = 1 }
    END { close_listener(); if (anonymous) said("anonymous access (allow_anonymous true)"); print out }' "$1"
}

# warn TEXT: a warning for the user. The command provider (toolchain/providers/command) forwards
# stderr lines that begin with "::warning::" to the engine as warnings, even with logging "none":
# TEXT must hold no secret.
warn() { printf '::warning::%s\n' "$*" >&2; }

# network_ports SSH_PORT: the TCP ports listened on for the network (loopback aside), SSH_PORT
# aside, sorted, one line. On the broker, these are mosquitto's.
network_ports() {
  ss -Hltn 2>/dev/null | awk -v ssh="$1" '{
    n = split($4, a, ":"); addr = substr($4, 1, length($4) - length(a[n]) - 1)
    if (addr !~ /^(127\.|\[::1\])/ && a[n] != ssh) print a[n]
  }' | sort -un | tr '\n' ' '
}

# --- per-run private directories -------------------------------------------------------------------
# What a run writes that may hold a secret (a password options file, a capture of a plaintext
# login, forged or revoked keys) lives in one private (0700) directory of that run, under /tmp,
# named after the run's shell: /tmp/mqtt-lab-run.PID.XXXXXX.

# run_dir: makes this run's directory and prints its path. A run killed outright (SIGKILL: no trap
# runs) leaves its directory, maybe with dumpcap still writing there; so each run first clears the
# directories of its user whose shell is gone, after stopping what still writes in them. Runs
# under way (two identities checked at once on one host) keep theirs.
run_dir() {
  local d pid
  for d in /tmp/mqtt-lab-run.*; do
    if [ ! -d "$d" ] || [ ! -O "$d" ]; then continue; fi
    pid=${d#/tmp/mqtt-lab-run.}; pid=${pid%%.*}
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = bash ] && continue
    stop_writers "$d"
    rm -rf "$d" 2>/dev/null || as_root rm -rf "$d"
  done
  mktemp -d "/tmp/mqtt-lab-run.$$.XXXXXX"
}

# stop_writers DIR: stops the captures (dumpcap) still writing into DIR, a killed run's: dumpcap
# writes to its stdout, which the run's shell opened there.
stop_writers() {
  local p
  for p in $(dumpcaps_writing "$1/*"); do as_root kill "$p" 2>/dev/null; done
  return 0
}

# dumpcaps_writing PATTERN: the dumpcap processes whose stdout is a file matching the glob
# PATTERN. Found by where they write, not by a pattern on their command line: under sudo the
# user can neither signal root's dumpcap by itself nor trust what another user's command line says.
dumpcaps_writing() {
  local p
  for p in $(pgrep -x dumpcap); do
    # shellcheck disable=SC2254  # PATTERN is a glob, on purpose
    case "$(as_root readlink "/proc/$p/fd/1" 2>/dev/null)" in $1) echo "$p" ;; esac
  done
}

# remove_on_exit DIR: when the script ends, stopped by a signal too, stops the captures writing
# into DIR and removes it (bash runs the EXIT trap on SIGTERM, the provider's cancel, only when
# SIGTERM has a trap of its own).
remove_on_exit() {
  # shellcheck disable=SC2064  # DIR is expanded now, on purpose
  trap "stop_writers '$1'; rm -rf '$1' 2>/dev/null || as_root rm -rf '$1'" EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# --- mosquitto as a service -----------------------------------------------------------------------
# SERVICE_MANAGER: "systemd" on the seed's Debian VMs; "signals" in containers, which have no init,
# so mosquitto is a plain daemon that we signal and start.

# mosquitto_reload: re-read certificates, key, ACL and password file (SIGHUP); clients stay.
mosquitto_reload() {
  if [ "$SERVICE_MANAGER" = systemd ]; then systemctl reload mosquitto; else pkill -HUP -x mosquitto; fi
}

# mosquitto_restart: stop and start again (listeners and CAs are read only at start).
mosquitto_restart() {
  if [ "$SERVICE_MANAGER" = systemd ]; then systemctl restart mosquitto; return; fi
  local i=0
  pkill -x mosquitto || true
  while pgrep -x mosquitto >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  mosquitto -c /etc/mosquitto/mosquitto.conf -d
}

# --- checks ---------------------------------------------------------------------------------------
# Every check runs, even after one fails: a report names all that broke, each with what was seen.
# fail counts in $failed, which each check script sets to 0 first.
fail() { echo "mqtt-lab check failed on host $(hostname): $*" >&2; failed=$((failed+1)); return 1; }
# short TEXT: its first 200 bytes on one line, for a message.
short() { printf '%s' "$1" | head -c 200 | tr '\n' ' '; }

# as_root COMMAND...: tshark needs root; AS_ROOT is "sudo" when the SSH user is not root.
as_root() { if [ "${AS_ROOT:-}" = sudo ]; then sudo -n "$@"; else "$@"; fi; }

# The checks' captures. dumpcap (the capture engine tshark itself starts; it starts in a few
# milliseconds where tshark takes seconds) writes what FILTER matches to its stdout as a pcap,
# which this shell opens in its own private directory (dumpcap drops root's powers before it
# opens a file, so under sudo it could not write there). A capture runs while the checks run,
# and is stopped once an end marker, sent in clear after everything it must hold, is in it:
# packets land in order, so what came before has landed too. No fixed wait.
declare -A capture_pid=()

# capture_start PCAP FILTER: starts capturing into PCAP, in the background.
capture_start() {
  as_root dumpcap -i any -f "$2" -P -w - >"$1" 2>"$1.err" &
  capture_pid[$1]=$!
}

# capture_ready PCAP: returns once dumpcap has written the pcap's header, non-zero if it has not
# within 30 s (a loaded machine can take more than 10) or died, with its last words in
# $capture_error.
capture_ready() {
  local i=0 pid=${capture_pid[$1]}
  capture_error=""
  # /proc, not kill -0: under sudo dumpcap's process is root's, and kill -0 on it fails for the user.
  while [ ! -s "$1" ] && [ $i -lt 600 ] && [ -e "/proc/$pid" ]; do sleep 0.05; i=$((i+1)); done
  [ -s "$1" ] && return 0
  capture_signal TERM "$1"
  capture_error=$(grep -v cap_set_proc "$1.err" 2>/dev/null | tail -n 2 | tr '\n' ' ')
  [ -n "$capture_error" ] || capture_error="no word from dumpcap after $((i / 20)) s"
  return 1
}

# capture_stop PCAP MARKER: waits (10 s at most) until MARKER is in PCAP, then stops dumpcap;
# non-zero when the marker never landed (the capture then proves nothing).
capture_stop() {
  local i=0
  while ! in_capture "$1" "$2" && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
  capture_signal INT "$1"
  wait "${capture_pid[$1]}" || true
  in_capture "$1" "$2"
}

# capture_packets PCAP: how many packets dumpcap captured, from its own report at the end.
capture_packets() { sed -n 's/.*Packets captured: \([0-9]*\).*/\1/p' "$1.err" | tail -n 1; }

# capture_signal SIGNAL PCAP: sends SIGNAL to the dumpcap writing PCAP, and to no other.
capture_signal() {
  local p
  for p in $(dumpcaps_writing "$2"); do as_root kill "-$1" "$p" 2>/dev/null; done
  return 0
}

# send_in_clear HOST PORT TEXT: opens a TCP connection and sends TEXT as it is (bash's /dev/tcp:
# no program runs), the end marker of a capture of that port.
send_in_clear() { printf '%s\n' "$3" 2>/dev/null >"/dev/tcp/$1/$2" || true; }

# in_capture PCAP TEXT: TEXT appears in the raw bytes of the capture (in clear).
in_capture() { grep -a -q -F -- "$2" "$1"; }
# in_capture_file PCAP FILE: the line of FILE appears there; for a secret, which must not be in
# grep's arguments.
in_capture_file() { grep -a -q -F -f "$2" "$1"; }
