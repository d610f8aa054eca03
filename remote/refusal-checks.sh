# shellcheck shell=bash
# refusal-checks.sh — runs on a client host with the forged certificates on stdin (a bundle made by
# forgeries.sh): a client of another CA bearing a real client's subject, and an expired certificate
# of the real CA, must both be refused at the TLS handshake. mosquitto_pub must fail with each; over
# TLS 1.2 openssl shows the broker's alert (48 unknown ca, 45 certificate expired): the reason, seen
# where it happens. With TLS 1.3 only, a refused client certificate reaches the client as a lost
# connection; the reason is then in the broker's log alone.
#
# Data header: IDENTITY (whose CA file verifies the broker), CLIENT_DIR, BROKER, TLS_PORT, and
# READ_ALERT (yes when the broker allows TLS 1.2, so the alert can be read).
set -u
D="$HOME/$CLIENT_DIR"
failed=0
F=$(mktemp -d); trap 'rm -rf "$F"' EXIT; chmod 700 "$F"
read_bundle "$F"

# refused CHECK-NAME FILE-STEM WHAT EXPECTED-ALERT
refused() {
  if out=$(timeout 15 mosquitto_pub -h "$BROKER" -p "$TLS_PORT" --cafile "$D/ca.crt" --cert "$F/$2.crt" --key "$F/$2.key" -i "mqtt-lab-$1-$$" -q 1 -t mqtt-lab-refusal -m refused 2>&1); then
    fail "$1: $3 was accepted by the broker"; return
  fi
  if [ "$READ_ALERT" = yes ]; then
    alert=$(echo | timeout 15 openssl s_client -tls1_2 -connect "$BROKER:$TLS_PORT" -CAfile "$D/ca.crt" -cert "$F/$2.crt" -key "$F/$2.key" 2>&1 | grep -o "alert [a-z ]*" | head -n 1)
    [ "$alert" = "alert $4" ] || { fail "$1: $3 was refused, but not with the TLS alert '$4' at the handshake: saw '$(short "$alert")'; mosquitto_pub: $(short "$out")"; return; }
    echo "PASS $1: $3 refused at the TLS handshake (TLS 1.2 alert: $alert; mosquitto_pub: $(short "$out"))"
  else
    echo "PASS $1: $3 refused (TLS 1.3: the client sees only: $(short "$out"); the reason is in the broker's log)"
  fi
}
refused impostor-ca impostor "a client certificate with $IDENTITY's subject from another CA bearing the lab CA's subject" "unknown ca" || true
refused expired-cert expired "an expired certificate of $IDENTITY, signed by the lab CA" "certificate expired" || true
[ "$failed" -eq 0 ] || exit 1
