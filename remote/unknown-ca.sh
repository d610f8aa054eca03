# shellcheck shell=bash
# unknown-ca.sh — the seed's `tlsv1 alert unknown ca`, reproduced on demand (`npm run report --
# --reproduce-unknown-ca`) against a throw-away mosquitto that listens on loopback only, in a
# throw-away network namespace (tools/report.ts runs this in a container with no network: never on
# a lab host). It makes the seed's certificates with openssl as the seed did: a CA whose subject is
# "C = FR, ST = France, O = ISIS", then leaves from `openssl x509 -req ... -days 100` (no extensions:
# X.509 v1), the broker's bearing the CA's own subject. Then, the positive control, a chain of the
# lab's kind: a v3 CA (CA:TRUE), a broker leaf with a subject of its own and 127.0.0.1 in its SANs.
# One mosquitto, two listeners (one per chain, require_certificate true on both), and the seed's
# publish to each; what the client and the broker said is printed.
#
# Data header (src/remote/compose.ts): FIRST_PORT (the first port tried; the two listeners take the
# first two free ports from there). Prints sections, each a line "=== report NAME" then its lines.
set -u
section() { echo "=== report $1"; }
W=$(mktemp -d)
trap 'kill "${broker_pid:-}" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
mkdir seed lab

# port_free PORT: nothing accepts a connection on 127.0.0.1:PORT (bash's /dev/tcp: no program runs).
port_free() { ! (: >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
next_free() { local p=$1; while ! port_free "$p"; do p=$((p+1)); done; echo "$p"; }
seed_port=$(next_free "$FIRST_PORT")
lab_port=$(next_free $((seed_port+1)))

# The seed's chain: RSA 2048, v1 leaves, the broker's subject equal to its CA's.
seed_subject="/C=FR/ST=France/O=ISIS"
openssl req -new -x509 -days 1826 -subj "$seed_subject" -newkey rsa:2048 -nodes -keyout seed/ca.key -out seed/ca.crt 2>/dev/null
openssl req -new -subj "$seed_subject" -newkey rsa:2048 -nodes -keyout seed/broker.key -out seed/broker.csr 2>/dev/null
openssl x509 -req -in seed/broker.csr -CA seed/ca.crt -CAkey seed/ca.key -CAcreateserial -out seed/broker.crt -days 100 2>/dev/null
openssl req -new -subj "/C=FR/ST=France/O=Internet Widgits Pty Ltd" -newkey rsa:2048 -nodes -keyout seed/client.key -out seed/client.csr 2>/dev/null
openssl x509 -req -in seed/client.csr -CA seed/ca.crt -CAkey seed/ca.key -CAcreateserial -out seed/client.crt -days 100 2>/dev/null

# The lab's kind: a CA with CA:TRUE, leaves with their own subjects, the broker's address in its SANs.
openssl req -new -x509 -days 30 -subj "/CN=throw-away lab CA" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout lab/ca.key -out lab/ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > lab/broker.ext
printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' > lab/client.ext
openssl req -new -subj "/CN=throw-away broker" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout lab/broker.key -out lab/broker.csr 2>/dev/null
openssl x509 -req -in lab/broker.csr -CA lab/ca.crt -CAkey lab/ca.key -CAcreateserial -out lab/broker.crt -days 30 -extfile lab/broker.ext 2>/dev/null
openssl req -new -subj "/CN=client-a" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout lab/client.key -out lab/client.csr 2>/dev/null
openssl x509 -req -in lab/client.csr -CA lab/ca.crt -CAkey lab/ca.key -CAcreateserial -out lab/client.crt -days 30 -extfile lab/client.ext 2>/dev/null

cat > broker.conf <<CONF
per_listener_settings true
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
listener $seed_port 127.0.0.1
allow_anonymous true
cafile $W/seed/ca.crt
certfile $W/seed/broker.crt
keyfile $W/seed/broker.key
require_certificate true
listener $lab_port 127.0.0.1
allow_anonymous true
cafile $W/lab/ca.crt
certfile $W/lab/broker.crt
keyfile $W/lab/broker.key
require_certificate true
CONF
# mosquitto drops root's powers to its own user: it must read the throw-away keys.
chown -R mosquitto "$W" 2>/dev/null; chmod 0755 "$W"

section where; echo "a container with no network (loopback only), 127.0.0.1 ports $seed_port (the seed's chain) and $lab_port (the lab's kind)"
section openssl-version; openssl version
section mosquitto-version; mosquitto -h 2>&1 | head -n 1
mosquitto -c broker.conf > broker.log 2>&1 &
broker_pid=$!
i=0; while { port_free "$seed_port" || port_free "$lab_port"; } && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
if port_free "$seed_port" || port_free "$lab_port"; then section broker-failed; cat broker.log; exit 1; fi

# try NAME PORT WAIT_FOR: the seed's publish to one listener with NAME's files; what each side said.
try() {
  local name=$1 port=$2 from out code i=0
  from=$(wc -l < broker.log)
  section "$name-verify"; openssl verify -CAfile "$name/ca.crt" "$name/broker.crt" 2>&1
  section "$name-cert"; openssl x509 -in "$name/broker.crt" -noout -text
  section "$name-publish-command"
  echo "mosquitto_pub -h 127.0.0.1 -p $port --cafile $name/ca.crt --cert $name/client.crt --key $name/client.key -m hello -t world"
  out=$(timeout 15 mosquitto_pub -h 127.0.0.1 -p "$port" --cafile "$name/ca.crt" --cert "$name/client.crt" --key "$name/client.key" -m hello -t world 2>&1)
  code=$?
  section "$name-publish"; echo "exit $code"; printf '%s\n' "$out"
  # The broker's word on that connection: an OpenSSL error, or the client's disconnect.
  while ! tail -n +$((from+1)) broker.log | grep -q -E "$3" && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
  section "$name-broker"; tail -n +$((from+1)) broker.log
}
try seed "$seed_port" "OpenSSL Error|disconnected"
try lab "$lab_port" "disconnected|OpenSSL Error"
