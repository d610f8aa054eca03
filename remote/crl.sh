# shellcheck shell=bash
# crl.sh — the lab CA's certificate revocation list. Runs on the machine running Pulumi (where the
# CA key already is, like forgeries.sh), never on a host. stdin: a bundle with ca.crt, ca.key,
# revoked.txt (one line per revoked certificate: serial in hex, its notAfter and the revocation
# time as YYYYMMDDHHMMSSZ, the reason, the subject) and dates.txt (the CRL's number, lastUpdate
# and nextUpdate); stdout: a bundle with crl.pem.
set -euo pipefail
# The CA key, in this run's private directory (run_dir, lib.sh: a killed run's is cleared by the next).
W=$(run_dir); remove_on_exit "$W"; cd "$W"
read_bundle .
read -r number last_update next_update < dates.txt
# `openssl ca` keeps its list in an index file: R (revoked), expiry, revocation time and reason, serial, file, subject.
: > index.txt
while read -r serial not_after revoked_at reason subject; do
  [ -n "$serial" ] || continue
  printf 'R\t%s\t%s,%s\t%s\tunknown\t%s\n' "$not_after" "$revoked_at" "$reason" "$serial" "$subject" >> index.txt
done < revoked.txt
echo "$number" > crlnumber
cat > ca.cnf <<'CNF'
[ca]
default_ca = lab
[lab]
database = ./index.txt
crlnumber = ./crlnumber
default_md = sha256
unique_subject = no
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
CNF
openssl ca -gencrl -batch -config ca.cnf -cert ca.crt -keyfile ca.key \
  -crl_lastupdate "$last_update" -crl_nextupdate "$next_update" -out crl.pem 2>err.txt \
  || { echo "mqtt-lab: openssl could not sign the CRL: $(cat err.txt)" >&2; exit 1; }
write_bundle . crl.pem
