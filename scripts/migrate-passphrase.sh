#!/usr/bin/env bash
# migrate-passphrase.sh — run by scripts/setup.sh. Earlier versions of this project encrypted
# every local stack with one passphrase written in the repository (the same on every machine).
# Each stack of the local file backend still under that retired passphrase is moved to this
# user's own (PULUMI_CONFIG_PASSPHRASE_FILE, see toolchain/project-env.sh) with
# `pulumi stack change-secrets-provider`; a stack already under it is left alone. Only runs
# when the passphrase is this machine's file (a user's own PULUMI_CONFIG_PASSPHRASE wins).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The retired passphrase: this is the only place it may appear (it decrypts nothing new).
retired="mqtt-lab-local"
[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] || exit 0
case "${PULUMI_BACKEND_URL:-}" in file://*) ;; *) exit 0 ;; esac
stacks_dir="${PULUMI_BACKEND_URL#file://}/.pulumi/stacks/mqtt-lab"
[ -d "$stacks_dir" ] || exit 0

# unlocks SALT PASSPHRASE-FILE-OR-"-": whether the passphrase opens the salt (v1:SALT:v1:NONCE:CT
# holds "pulumi" encrypted with AES-256-GCM under PBKDF2-SHA256(passphrase, salt, 1e6)).
unlocks() {
  SALT="$1" PHRASE="$2" node -e '
    const c = require("node:crypto");
    const [, salt, , nonce, ct] = process.env.SALT.split(":");
    const key = c.pbkdf2Sync(process.env.PHRASE, Buffer.from(salt, "base64"), 1000000, 32, "sha256");
    const raw = Buffer.from(ct, "base64");
    try {
      const d = c.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
      d.setAuthTag(raw.subarray(raw.length - 16));
      const out = Buffer.concat([d.update(raw.subarray(0, raw.length - 16)), d.final()]).toString();
      process.exit(out === "pulumi" ? 0 : 1);
    } catch { process.exit(1); }'
}

# salt_of STACK-FILE: the salt the stack's state carries (empty when none).
salt_of() {
  node -e '
    const f = require("node:fs").readFileSync(process.argv[1], "utf8");
    const d = JSON.parse(f);
    const sp = (d.checkpoint && d.checkpoint.latest && d.checkpoint.latest.secrets_providers) || {};
    process.stdout.write((sp.type === "passphrase" && sp.state && sp.state.salt) || "");' "$1"
}

mine=$(<"$PULUMI_CONFIG_PASSPHRASE_FILE")
shopt -s nullglob
for f in "$stacks_dir"/*.json; do
  stack=$(basename "$f" .json)
  salt=$(salt_of "$f")
  # The stack's config file may hold a salt of its own (older checkouts committed one).
  if [ -f "$ROOT/Pulumi.$stack.yaml" ]; then
    s=$(sed -n 's/^encryptionsalt: //p' "$ROOT/Pulumi.$stack.yaml")
    [ -z "$s" ] || salt=$s
  fi
  [ -n "$salt" ] || continue
  unlocks "$salt" "$mine" && continue
  if unlocks "$salt" "$retired"; then
    echo "migrate-passphrase: stack $stack was encrypted with the old shared passphrase; moving it to yours ($PULUMI_CONFIG_PASSPHRASE_FILE)" >&2
    (cd "$ROOT" && PULUMI_CONFIG_PASSPHRASE="$retired" pulumi stack change-secrets-provider passphrase \
      --stack "$stack" --non-interactive <"$PULUMI_CONFIG_PASSPHRASE_FILE" >&2)
  else
    echo "migrate-passphrase: stack $stack does not open with $PULUMI_CONFIG_PASSPHRASE_FILE; set PULUMI_CONFIG_PASSPHRASE to its passphrase, or restore your backup (README, \"State, passphrase and backups\")" >&2
  fi
done
