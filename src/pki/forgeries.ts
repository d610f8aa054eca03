/**
 * Certificates the broker must refuse, made for the refusal checks on the machine running Pulumi
 * (where the CA key already is), never on a host:
 * - impostor: a client certificate with a real client's subject, signed by another CA that also
 *   carries the real CA's subject (the seed's `unknown ca` trap, from the attacker's side);
 * - expired: a certificate for a real client, signed by the real CA, valid only in the past.
 * openssl x509 cannot backdate, so the expired one is signed with `openssl ca -startdate/-enddate`.
 */
import { bundleEnd, readBundleShell } from "../remote/hostScripts";

/** Names of the files the forgeries script reads from its stdin bundle and writes to stdout. */
export const forgeryInputs = ["ca.crt", "ca.key", "client.crt"] as const;
export const forgeryOutputs = ["expired.crt", "expired.key", "impostor-ca.crt", "impostor.crt", "impostor.key"] as const;

/**
 * Shell (bash, on the machine running Pulumi): reads a bundle of `forgeryInputs` on stdin and
 * prints a bundle of `forgeryOutputs` (same format as renderBundle: `name base64` lines, then the
 * end line with the count). Keys are EC P-256: what they are signed with is what matters.
 */
export function forgeriesScript(): string {
    return `set -euo pipefail
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; chmod 700 "$W"; cd "$W"
${readBundleShell(".")}
ca_subject=$(openssl x509 -in ca.crt -noout -subject -nameopt compat | sed 's/^subject=//')
client_subject=$(openssl x509 -in client.crt -noout -subject -nameopt compat | sed 's/^subject=//')
leaf_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
printf '%s\\n' "$leaf_ext" > leaf.ext
# Another CA, same subject as the real one.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout impostor-ca.key -out impostor-ca.crt \\
  -days 30 -subj "$ca_subject" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout impostor.key -out impostor.csr -subj "$client_subject" 2>/dev/null
openssl x509 -req -in impostor.csr -CA impostor-ca.crt -CAkey impostor-ca.key -set_serial "0x$(openssl rand -hex 16)" \\
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
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \\
  -startdate 20200101000000Z -enddate 20200201000000Z -preserveDN -notext 2>/dev/null
for f in ${forgeryOutputs.join(" ")}; do printf '%s %s\\n' "$f" "$(base64 -w0 "$f")"; done
echo "${bundleEnd} ${forgeryOutputs.length}"
`;
}
