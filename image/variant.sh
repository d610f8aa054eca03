#!/usr/bin/env bash
# variant.sh — the existing-host image: the base image (image/substrate.sh) plus what an existing
# Debian VM has and the lab's peers need (sudo, python3, a login user, a systemctl stand-in), from
# image/existing-host/. Built once, locally, with the package source this machine's apt uses; never
# pulled from a registry. Tagged by its inputs: present means nothing is rebuilt.
#
#   image/variant.sh BASE_IMAGE    prints mqttlab/existing-host:<tag> as the last line of stdout
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BASE="${1:?usage: variant.sh BASE_IMAGE (the name:tag image/substrate.sh printed)}"
docker image inspect "$BASE" >/dev/null 2>&1 || { echo "variant: base image $BASE is missing: run scripts/setup.sh" >&2; exit 1; }

# The machine's apt sources (deb822 and one-line), as apt-get inside the build will read them.
CTX="$(mktemp -d "${TMPDIR:-/tmp}/mqtt-lab-variant.XXXXXX")"
trap 'rm -rf "$CTX"' EXIT
mkdir -p "$CTX/sources/etc-apt"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$CTX/sources/etc-apt/"
[ -d /etc/apt/sources.list.d ] && cp -r /etc/apt/sources.list.d "$CTX/sources/etc-apt/"
cp "$HERE/existing-host/Dockerfile" "$HERE/existing-host/systemctl" "$CTX/"

tag="$(cd "$CTX" && { echo "$BASE"; find . -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-12)"
image="mqttlab/existing-host:$tag"
exec 9>"${TMPDIR:-/tmp}/mqtt-lab-variant.lock"
flock 9
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "variant: $image present" >&2
else
  echo "variant: building $image from $BASE (apt-get install sudo python3)" >&2
  # Host network: the build resolves and reaches the package source exactly as this machine does.
  docker build -q --network host --build-arg "BASE=$BASE" --label mqtt-lab-image=existing-host -t "$image" "$CTX" >&2
fi
echo "$image"
