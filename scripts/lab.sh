#!/usr/bin/env bash
# lab.sh — the README's lab command: bring up the local lab (two containers, mutual TLS)
# and run its checks. Re-running it converges; `pulumi destroy --stack lab` takes it down.
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
step "pulumi preview"
pulumi preview --stack "$STACK" --non-interactive --diff=false >&2
step "pulumi up (the checks run as part of it)"
pulumi up --stack "$STACK" --yes --non-interactive --skip-preview >&2
step "the lab"
out() { pulumi stack output --stack "$STACK" "$@"; }
broker="$(out brokerAddress)"; port="$(out tlsPort)"
cat <<MSG
Broker: $broker:$port (mutual TLS; DNS name $(out brokerDnsName) in its certificate)
Checks: $(out checkResults --json | tr -d '\n' | head -c 2000)
Reach it from this machine with a client bundle:
  npm run bundle -- client-a ./lab-out        # writes ca.crt, client.crt, client.key (0600)
  mosquitto_sub -h $broker -p $port --cafile lab-out/ca.crt --cert lab-out/client.crt --key lab-out/client.key -t '#' -v
Inspect:  PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL pulumi stack output --stack $STACK
Tear down: PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE=... pulumi destroy --stack $STACK --yes
MSG
