#!/usr/bin/env bash
# lab.sh — the README's lab command: bring up the local lab (two containers, mutual TLS)
# and run its checks. Re-running it converges; `pulumi destroy` takes it down (from a plain shell:
# setup.sh installed the `pulumi` launcher).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
# Fail before touching anything when the engine cannot create the lab's resources.
absent="$(missing_provider_plugins)"
if [ -n "$absent" ]; then
  echo "lab: cannot bring the lab up: the provider plugins $absent are not installed in PULUMI_HOME=$PULUMI_HOME, although toolchain/toolchain.sh ran (see its output above; README, Status)." >&2
  exit 1
fi
STACK="${MQTTLAB_STACK:-lab}"
step "stack $STACK (backend $PULUMI_BACKEND_URL)"
pulumi stack select "$STACK" --create --secrets-provider passphrase --non-interactive >&2
# The policy pack judges both: what is unknown at preview (host keys, certificates) is judged at up.
step "pulumi preview (with the policy pack)"
pulumi preview --stack "$STACK" --non-interactive --diff=false --policy-pack policies >&2
step "pulumi up (with the policy pack; the checks run as part of it)"
pulumi up --stack "$STACK" --yes --non-interactive --skip-preview --policy-pack policies >&2
step "the lab"
npx tsc -p tsconfig.json
node bin/tools/summary.js --stack "$STACK"
# The TP's questions answered from what the lab measures (README, The lab report).
step "the lab report"
node bin/tools/report.js --stack "$STACK"
