# shellcheck shell=bash
# shellcheck disable=SC2154  # priv (the run's private directory) and names are client-checks.sh's
# refusal-checks.sh — the refusal checks, sent ahead of remote/client-checks.sh, which runs
# refusal_checks (below) on the client host of the first identity when REFUSALS=yes, with the
# forged certificates (made by forgeries.sh) in its private directory $priv: a client of another
# CA bearing a real client's subject, and an expired certificate of the real CA, must both be
# refused at the TLS handshake. mosquitto_pub must fail with each; over TLS 1.2 openssl shows the
# broker's alert (48 unknown ca, 45 certificate expired): the reason, seen where it happens. With
# TLS 1.3 only, a refused client certificate reaches the client as a lost connection; the reason
# is then in the broker's log alone.
#
# Also there: the CRLs the broker reads (crl.pem) and, when config revokes an identity, its
# certificate and key (revoked.crt, revoked.key): refused at the handshake too (alert 44
# certificate revoked), and the CRLs must outlive every certificate they cover (crl-validity).
#
# Data header (with client-checks.sh's): READ_ALERT (yes when the broker allows TLS 1.2, so the
# alert can be read) and REVOKED_NAME (the revoked identity whose certificate is presented, or
# empty). It verifies the broker with the first identity's CA file ($D when it runs).

# refused CHECK-NAME FILE-STEM WHAT EXPECTED-ALERT
refused() {
  if out=$(timeout 15 mosquitto_pub -h "$BROKER" -p "$TLS_PORT" --cafile "$D/ca.crt" --cert "$priv/$2.crt" --key "$priv/$2.key" -i "mqtt-lab-$1-$$" -q 1 -t mqtt-lab-refusal -m refused 2>&1); then
    fail "$1: $3 was accepted by the broker"; return
  fi
  if [ "$READ_ALERT" = yes ]; then
    alert=$(echo | timeout 15 openssl s_client -tls1_2 -connect "$BROKER:$TLS_PORT" -CAfile "$D/ca.crt" -cert "$priv/$2.crt" -key "$priv/$2.key" 2>&1 | grep -o "alert [a-z ]*" | head -n 1)
    [ "$alert" = "alert $4" ] || { fail "$1: $3 was refused, but not with the TLS alert '$4' at the handshake: saw '$(short "$alert")'; mosquitto_pub: $(short "$out")"; return; }
    echo "PASS $1: $3 refused at the TLS handshake (TLS 1.2 alert: $alert; mosquitto_pub: $(short "$out"))"
  else
    echo "PASS $1: $3 refused (TLS 1.3: the client sees only: $(short "$out"); the reason is in the broker's log)"
  fi
}
# crl-validity: an expired CRL makes OpenSSL refuse every client certificate of its CA, so each CRL
# must be valid for MIN_DAYS more days and until the latest certificate it covers expires.
crl_validity() {
  [ -s "$priv/crl.pem" ] || { fail "crl-validity: no CRL came with the checks"; return; }
  awk -v dir="$priv" '/BEGIN X509 CRL/ { n++ } n { print > (dir "/crl-" n ".pem") }' "$priv/crl.pem"
  local served latest c next issuer count said=""
  served=$(echo | timeout 15 openssl s_client -connect "$BROKER:$TLS_PORT" -CAfile "$D/ca.crt" -cert "$D/client.crt" -key "$D/client.key" 2>/dev/null | openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2)
  latest=$(date -u -d "$(openssl x509 -in "$D/client.crt" -noout -enddate | cut -d= -f2)" +%s)
  if [ -n "$served" ] && [ "$(date -u -d "$served" +%s)" -gt "$latest" ]; then latest=$(date -u -d "$served" +%s); fi
  for c in "$priv"/crl-*.pem; do
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

# refusal_checks: every refusal check, each run; failures counted in $failed (lib.sh's fail).
refusal_checks() {
  local identity=${names[0]}
  D="$HOME/$CLIENTS_DIR/$identity"
  refused impostor-ca impostor "a client certificate with $identity's subject from another CA bearing the lab CA's subject" "unknown ca" || true
  refused expired-cert expired "an expired certificate of $identity, signed by the lab CA" "certificate expired" || true
  if [ -n "$REVOKED_NAME" ]; then
    refused revoked-cert revoked "$REVOKED_NAME's certificate, revoked in config (listed in the CRL)" "certificate revoked" || true
  fi
  crl_validity
}
