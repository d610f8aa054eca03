# shellcheck shell=bash
# refusal-checks.sh — runs on a client host with the forged certificates on stdin (a bundle made by
# forgeries.sh): a client of another CA bearing a real client's subject, and an expired certificate
# of the real CA, must both be refused at the TLS handshake. mosquitto_pub must fail with each; over
# TLS 1.2 openssl shows the broker's alert (48 unknown ca, 45 certificate expired): the reason, seen
# where it happens. With TLS 1.3 only, a refused client certificate reaches the client as a lost
# connection; the reason is then in the broker's log alone.
#
# With them on stdin: the CRLs the broker reads (crl.pem) and, when config revokes an identity, its
# certificate and key (revoked.crt, revoked.key): refused at the handshake too (alert 44
# certificate revoked), and the CRLs must outlive every certificate they cover (crl-validity).
#
# Data header: IDENTITY (whose CA file verifies the broker), CLIENT_DIR, BROKER, TLS_PORT,
# READ_ALERT (yes when the broker allows TLS 1.2, so the alert can be read), MIN_DAYS, and
# REVOKED_NAME (the revoked identity whose certificate is presented, or empty).
set -u
D="$HOME/$CLIENT_DIR"
failed=0
# The forged keys and the revoked identity's key, in this run's private directory (lib.sh).
F=$(run_dir); remove_on_exit "$F"
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
if [ -n "$REVOKED_NAME" ]; then
  refused revoked-cert revoked "$REVOKED_NAME's certificate, revoked in config (listed in the CRL)" "certificate revoked" || true
fi

# crl-validity: an expired CRL makes OpenSSL refuse every client certificate of its CA, so each CRL
# must be valid for MIN_DAYS more days and until the latest certificate it covers expires.
crl_validity() {
  [ -s "$F/crl.pem" ] || { fail "crl-validity: no CRL came with the checks"; return; }
  awk -v dir="$F" '/BEGIN X509 CRL/ { n++ } n { print > (dir "/crl-" n ".pem") }' "$F/crl.pem"
  local served latest c next issuer count said=""
  served=$(echo | timeout 15 openssl s_client -connect "$BROKER:$TLS_PORT" -CAfile "$D/ca.crt" -cert "$D/client.crt" -key "$D/client.key" 2>/dev/null | openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2)
  latest=$(date -u -d "$(openssl x509 -in "$D/client.crt" -noout -enddate | cut -d= -f2)" +%s)
  if [ -n "$served" ] && [ "$(date -u -d "$served" +%s)" -gt "$latest" ]; then latest=$(date -u -d "$served" +%s); fi
  for c in "$F"/crl-*.pem; do
    next=$(openssl crl -in "$c" -noout -nextupdate | cut -d= -f2)
    issuer=$(openssl crl -in "$c" -noout -issuer -nameopt oneline | sed 's/^issuer=//')
    count=$(openssl crl -in "$c" -noout -text | grep -c 'Serial Number:' || true)
    if [ "$(date -u -d "$next" +%s)" -lt $(( $(date -u +%s) + MIN_DAYS * 86400 )) ]; then
      fail "crl-validity: the CRL of $issuer is valid only until $next, less than $MIN_DAYS days: once it expires the broker refuses every certificate of that CA (run pulumi up to sign it again)"; return
    fi
    if [ "$(date -u -d "$next" +%s)" -lt "$latest" ]; then
      fail "crl-validity: the CRL of $issuer expires ($next) before the certificates it covers ($(date -u -d "@$latest")): it would lock them out first"; return
    fi
    said="$said [$issuer: next update $next, $count revoked]"
  done
  echo "PASS crl-validity: every CRL outlives the certificates it covers and $MIN_DAYS days:$said"
}
crl_validity
[ "$failed" -eq 0 ] || exit 1
