# shellcheck shell=sh
# Sourced (". toolchain/env.sh") by the project's scripts: puts the Pulumi toolchain that
# toolchain/toolchain.sh builds into the machine-wide cache on PATH, and keeps the engine offline
# (no update check, no plugin download, no registry look-up). What the user set stays as set.
MQTTLAB_CACHE="${MQTTLAB_CACHE:-/var/cache/mqtt-lab}"
PULUMI_HOME="${PULUMI_HOME:-$MQTTLAB_CACHE/pulumi-home}"
case ":${PATH:-}:" in
  *":$MQTTLAB_CACHE/bin:"*) ;;
  *) PATH="$MQTTLAB_CACHE/bin${PATH:+:$PATH}" ;;
esac
PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}"
PULUMI_DISABLE_REGISTRY_RESOLVE="${PULUMI_DISABLE_REGISTRY_RESOLVE:-true}"
PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="${PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK:-true}"
export MQTTLAB_CACHE PULUMI_HOME PATH PULUMI_SKIP_UPDATE_CHECK \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION PULUMI_DISABLE_REGISTRY_RESOLVE \
  PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK
