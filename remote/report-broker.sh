# shellcheck shell=bash
# report-broker.sh — what the lab report (`npm run report`, tools/report.ts) measures on the broker
# host, as the SSH user: the OpenSSL and mosquitto versions, the TCP ports listening (`ss -ltn`),
# and the modes and owners of the lab's files (read through as_root, lib.sh: some are root's
# only). It only reads: nothing on the host changes.
#
# Data header (src/remote/compose.ts): FILES (the lab's paths on the broker, one a line), AS_ROOT.
# Prints sections, each a line "=== report NAME" then its lines (src/report/hostOutput.ts reads them).
set -u
: "${FILES?}"
section() { echo "=== report $1"; }
section hostname; hostname
section openssl-version; openssl version
# mosquitto's help begins with its version ("mosquitto version 2.0.11").
section mosquitto-version; mosquitto -h 2>&1 | head -n 1
section ss; ss -ltn
section stat
while IFS= read -r f; do
  [ -n "$f" ] || continue
  if as_root test -e "$f"; then as_root stat -c '%a %U:%G %n' "$f"; else echo "missing $f"; fi
done < <(printf '%s' "$FILES")
