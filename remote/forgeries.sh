# shellcheck shell=bash
# forgeries.sh — certificates the broker must refuse, for refusal-checks.sh. Runs on the machine
# running Pulumi (where the CA key already is), never on a host. stdin: a bundle with ca.crt, ca.key
# and client.crt; stdout: a bundle with the forgeries:
# - impostor: a client certificate with a real client's subject, signed by another CA that also
#   carries the real CA's subject (the seed's `unknown ca` trap, from the attacker's side);
# - expired: a certificate for a real client, signed by the real CA, valid only in the past
#   (openssl x509 cannot backdate, so it is signed with `openssl ca -startdate/-enddate`).
# Keys are EC P-256: what they are signed with is what matters.
set -euo pipefail
# The CA key, in this run's private directory (run_dir, lib.sh: a killed run's is cleared by the next).
W=$(run_dir); remove_on_exit "$W"; cd "$W"
read_bundle .
ca_subject=$(openssl x509 -in ca.crt -noout -subject -nameopt compat | sed 's/^subject=//')
client_subject=$(openssl x509 -in client.crt -noout -subject -nameopt compat | sed 's/^subject=//')
printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth' > leaf.ext
# Another CA, same subject as the real one.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout impostor-ca.key -out impostor-ca.crt \
  -days 30 -subj "$ca_subject" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout impostor.key -out impostor.csr -subj "$client_subject" 2>/dev/null
openssl x509 -req -in impostor.csr -CA impostor-ca.crt -CAkey impostor-ca.key -set_serial "0x$(openssl rand -hex 16)" \
  -days 30 -extfile leaf.ext -out impostor.crt 2>/dev/null
# The real CA, dates in the past.
mkdir db; : > db/index.txt; echo 1000 > db/serial
cat > ca.cnf <<'CNF'
[ca]
default_ca = lab
[lab]
dir = ./db
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
unique_subject = no
[any]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
CNF
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout expired.key -out expired.csr -subj "$client_subject" 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
  -startdate 20200101000000Z -enddate 20200201000000Z -preserveDN -notext 2>/dev/null
# shellcheck disable=SC2086  # FORGERY_OUTPUTS is a list of file names
write_bundle . $FORGERY_OUTPUTS
