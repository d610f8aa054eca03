#!/usr/bin/env bash
# floor.sh — the lab's job by hand, the least a careful admin would type: openssl makes a CA, two
# leaves and a CRL on this machine; one ssh session per host puts the files in place with their
# modes (the broker's over sudo), then mosquitto is restarted (first deploy: new listener and CA)
# or reloaded (rotation: new leaves), then the checks. bench/peers.ts times it beside `pulumi up`
# and the Ansible playbook on the same kind of hosts.
#
#   floor.sh cold|rotate WORK
# Environment: BROKER, CLIENT (addresses), SSH_USER, SSH_KEY (a key file), KNOWN_HOSTS (both host
# keys pinned), BROKER_DNS_NAME, CHECKS ("same": the check scripts `pulumi up` runs; "pubsub": one
# publish/subscribe round trip). WORK holds job/ (conf, ACL, check commands, forge.sh, as for the
# playbook) and gets pki/ (private).
# Prints "phase NAME MS" lines on stderr: where the time went.
set -euo pipefail
mode=$1 work=$2
: "${BROKER:?}" "${CLIENT:?}" "${SSH_USER:?}" "${SSH_KEY:?}" "${KNOWN_HOSTS:?}" "${BROKER_DNS_NAME:?}" "${CHECKS:?}"
pki=$work/pki job=$work/job
ssh_to() {
  ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" -o IdentitiesOnly=yes -i "$SSH_KEY" "$SSH_USER@$1" "${@:2}"
}
now() { date +%s%3N; }
t=$(now)
phase() { local n; n=$(now); echo "phase $1 $((n - t))" >&2; t=$n; }

umask 077
mkdir -p "$pki"
cd "$pki"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
if [ "$mode" = cold ]; then
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 730 -subj "/O=mqtt-lab-peers/CN=mqtt-lab peers CA generation 1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  # A CRL needs openssl ca's database: an empty one, nothing revoked, valid as long as the CA.
  : > index.txt
  printf '[ca]\ndefault_ca = lab\n[lab]\ndatabase = index.txt\ndefault_md = sha256\ndefault_crl_days = 730\n' > ca.cnf
  openssl ca -gencrl -config ca.cnf -keyfile ca.key -cert ca.crt -out crl.pem 2>/dev/null
fi
leaf() {  # NAME CN EXTENSIONS
  openssl req "${ec[@]}" -keyout "$1.key" -out "$1.csr" -subj "/O=mqtt-lab-peers/CN=$2" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 100 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
leaf server "$BROKER_DNS_NAME" "extendedKeyUsage=serverAuth
subjectAltName=IP:$BROKER,DNS:$BROKER_DNS_NAME"
leaf client client-a "extendedKeyUsage=clientAuth"
phase openssl

# What runs on the hosts, as quoted text (it expands there, not here), then sent as one bash -c.
broker_cold=$(cat <<'REMOTE'
set -e
d=/etc/mosquitto/mqtt-lab; s=$(mktemp -d); tar -x -C "$s"
install -d -m 0750 -o root -g mosquitto "$d"; install -d -m 0755 "$d/ca.d"
install -m 0644 "$s/ca-g1.crt" "$d/ca.d/ca-g1.crt"; openssl rehash "$d/ca.d"
install -m 0644 -g mosquitto "$s/server.crt" "$s/crl.pem" "$d/"
install -m 0640 -g mosquitto "$s/server.key" "$s/acl" "$d/"
install -m 0644 "$s/mqtt-lab.conf" /etc/mosquitto/conf.d/mqtt-lab.conf
rm -rf "$s"; systemctl restart mosquitto
REMOTE
)
broker_rotate=$(cat <<'REMOTE'
set -e
d=/etc/mosquitto/mqtt-lab; s=$(mktemp -d); tar -x -C "$s"
install -m 0644 -g mosquitto "$s/server.crt" "$d/"; install -m 0640 -g mosquitto "$s/server.key" "$d/"
rm -rf "$s"; systemctl reload mosquitto
REMOTE
)
client_files=$(cat <<'REMOTE'
set -e; umask 077
d=$HOME/.mqtt-lab/client-a; mkdir -p "$d"; chmod 0700 "$HOME/.mqtt-lab" "$d"; tar -x -C "$d"
REMOTE
)

# The broker: the files over one session as a tar stream, put in place with their modes by sudo.
if [ "$mode" = cold ]; then
  cp ca.crt ca-g1.crt
  cp "$job/mqtt-lab.conf" "$job/acl" .
  tar -c ca-g1.crt server.crt server.key crl.pem acl mqtt-lab.conf | ssh_to "$BROKER" "sudo -n bash -c $(printf %q "$broker_cold")"
else
  tar -c server.crt server.key | ssh_to "$BROKER" "sudo -n bash -c $(printf %q "$broker_rotate")"
fi
phase broker

# The client: the identity's files, 0600 in a 0700 directory of the user's home.
tar -c ca.crt client.crt client.key | ssh_to "$CLIENT" "bash -c $(printf %q "$client_files")"
phase client

if [ "$CHECKS" = same ]; then
  { for f in ca.crt ca.key client.crt; do printf '%s %s\n' "$f" "$(base64 -w0 "$f")"; done; echo "__end__ 3"; } | bash "$job/forge.sh" > forged
  phase forgeries
  n=$(grep -vc '^__end__' forged)
  { grep -v '^__end__' forged; printf 'crl.pem %s\n' "$(base64 -w0 crl.pem)"; echo "__end__ $((n + 1))"; } \
    | ssh_to "$CLIENT" "$(cat "$job/client-checks.cmd")" >/dev/null
  phase client-checks
else
  ssh_to "$CLIENT" "$(cat "$job/pubsub.cmd")" >/dev/null
  phase pubsub
fi
