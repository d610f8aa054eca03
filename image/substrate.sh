#!/usr/bin/env bash
# substrate.sh — make sure Docker Engine runs and the lab's base image exists.
#
#   image/substrate.sh            ensure dockerd + image mqttlab/base:<tag>
#   image/substrate.sh --verify   the same, then a self-test with two throwaway containers
#
# The image name:tag is printed as the LAST line of stdout (everything else goes to stderr)
# and written to $MQTTLAB_CACHE/base-image.
#
# No image registry is used: the root filesystem is built with debootstrap from Debian's
# package archive (debootstrap's default mirror) and loaded with `docker import`.
#
# Environment:
#   MQTTLAB_CACHE   machine-wide cache (default /var/cache/mqtt-lab): rootfs tarballs,
#                   dockerd.log, base-image, .substrate.lock. Keeping the tarballs means a wiped
#                   /var/lib/docker only costs a re-import (seconds), not a debootstrap.
#   MQTTLAB_DOCKER_WAIT        seconds to wait for dockerd to answer (default 60)
#   MQTTLAB_VERIFY_SUBNET      subnet of the --verify test network (default 172.30.56.0/24)
set -euo pipefail
shopt -s inherit_errexit  # also stop on errors inside $(...)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE_DIR="$SCRIPT_DIR"
CACHE="${MQTTLAB_CACHE:-/var/cache/mqtt-lab}"
DOCKER_WAIT="${MQTTLAB_DOCKER_WAIT:-60}"
VERIFY_SUBNET="${MQTTLAB_VERIFY_SUBNET:-172.30.56.0/24}"

# The lab's own network. Nothing Docker allocates by itself may overlap it.
LAB_SUBNET="192.168.56.0/24"
# Address pool for the networks dockerd allocates by itself (docker0 and networks created
# without --subnet). Docker's built-in default pools are 172.17-31.0.0/16 and then
# 192.168.0.0/16 cut into /20s, one of which (192.168.48.0/20) covers the lab's subnet.
# We pass the pool as a dockerd flag when WE start dockerd, rather than writing
# /etc/docker/daemon.json: it touches no system file and cannot be lost or overridden by a
# package's conffile; a daemon.json that already sets default-address-pools wins (dockerd
# refuses the same setting in both places), and we then only check it. For a daemon that
# somebody else started we cannot change the pools without restarting it, so we check
# instead that no existing network overlaps the lab's subnet (see check_lab_subnet_free).
ADDRESS_POOL="base=172.30.0.0/16,size=24"

# ---- image recipe -----------------------------------------------------------------------
# Everything in this block (and image/lab-init) goes into the image tag.
IMAGE_REPO="mqttlab/base"
SUITE="bookworm"
VARIANT="minbase"
PACKAGES="openssh-server,mosquitto,mosquitto-clients,tshark,iproute2,procps,openssl,ca-certificates"
IMPORT_CHANGES=('CMD ["/usr/local/sbin/lab-init"]')

# Turns a fresh debootstrap tree into the lab's root filesystem. Plain file operations on
# the tree, no chroot, so it can be re-applied to the cached debootstrap tarball.
configure_rootfs() {
  local root="$1" uid gid
  # Each container generates (or is given) its own host keys; see lab-init.
  rm -f "$root"/etc/ssh/ssh_host_*
  # The mosquitto user is the image's, not the host's: look its ids up in the tree.
  uid="$(awk -F: '$1 == "mosquitto" { print $3 }' "$root/etc/passwd")"
  gid="$(awk -F: '$1 == "mosquitto" { print $4 }' "$root/etc/passwd")"
  if [ -z "$uid" ] || [ -z "$gid" ]; then die "no mosquitto user in the rootfs"; fi
  install -d -m 0755 "$root/run/sshd"
  install -d -m 0755 -o "$uid" -g "$gid" "$root/run/mosquitto" "$root/var/log/mosquitto"
  install -m 0755 "$IMAGE_DIR/lab-init" "$root/usr/local/sbin/lab-init"
  # Docker bind-mounts its own; do not ship the build host's.
  : > "$root/etc/resolv.conf"
  echo "mqttlab" > "$root/etc/hostname"
  # Downloaded .debs and package lists are not needed at run time.
  find "$root/var/cache/apt/archives" -name '*.deb' -delete
  rm -rf "$root"/var/lib/apt/lists/*
  # The image has no init system; keep policy-rc.d from mattering if apt runs later.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
}
# ---- end of image recipe ----------------------------------------------------------------

log() { echo "substrate: $*" >&2; }
die() { echo "substrate: ERROR: $*" >&2; exit 1; }

hash_of() { sha256sum | cut -c1-"$1"; }

# Hash of what debootstrap gets: a new one only when suite, variant or packages change.
debootstrap_key() {
  printf '%s\n' "$SUITE" "$VARIANT" "$PACKAGES" "$(dpkg --print-architecture)" | hash_of 12
}

# Image tag: the debootstrap inputs plus the recipe (function body as bash normalises it,
# so comments do not count), the import changes and the files shipped into the image.
image_tag() {
  {
    printf '%s\n' "$(debootstrap_key)" "${IMPORT_CHANGES[@]}"
    declare -f configure_rootfs
    (cd "$IMAGE_DIR" && sha256sum ./lab-init)
  } | hash_of 12
}

# ---- host packages ----------------------------------------------------------------------
ensure_host_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ "${VERIFY:-0}" = 1 ]; then
    command -v ssh-keyscan >/dev/null || missing+=(openssh-client)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

# ---- docker engine ----------------------------------------------------------------------
docker_up() { docker info >/dev/null 2>&1; }

wait_for_docker() {
  local pid="$1" i
  for ((i = 0; i < DOCKER_WAIT * 2; i++)); do
    docker_up && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      return 1  # dockerd exited
    fi
    sleep 0.5
  done
  return 1
}

# Starts dockerd in its own session (it outlives this script), logging to the cache.
# Extra arguments are passed to dockerd.
spawn_dockerd() {
  local args=()
  if [ -f /etc/docker/daemon.json ] && grep -q '"default-address-pools"' /etc/docker/daemon.json; then
    log "/etc/docker/daemon.json sets default-address-pools; using it"
  else
    args+=(--default-address-pool "$ADDRESS_POOL")
  fi
  log "starting dockerd ${args[*]} $* (log: $CACHE/dockerd.log)"
  echo "---- $(date -u +%FT%TZ) dockerd ${args[*]} $*" >> "$CACHE/dockerd.log"
  # 9>&-: the daemon must not inherit (and so hold forever) the lock taken in main.
  setsid dockerd "${args[@]}" "$@" >> "$CACHE/dockerd.log" 2>&1 < /dev/null 9>&- &
  DOCKERD_PID=$!
  echo "$DOCKERD_PID" > "$CACHE/dockerd.pid"
}

ensure_docker() {
  if docker_up; then
    return 0
  fi
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    log "starting docker.service"
    systemctl start docker.service >&2 || true
    wait_for_docker "" && return 0
    die "docker.service did not come up within ${DOCKER_WAIT}s (see: journalctl -u docker)"
  fi
  if pgrep -x dockerd >/dev/null; then
    # Someone else's dockerd is starting (or hung): wait for it rather than start a second.
    log "a dockerd is already running; waiting for it"
    wait_for_docker "" && return 0
    die "the running dockerd does not answer 'docker info' within ${DOCKER_WAIT}s"
  fi
  spawn_dockerd
  wait_for_docker "$DOCKERD_PID" && return 0
  # Fallback: with no working iptables (no nf_tables/legacy support in a kernel), dockerd
  # refuses to start. Without its iptables rules, containers on one bridge still reach each
  # other and the host reaches them (all the lab needs); only NAT to the outside is lost.
  # (Tested: the host still reaches the containers, but container-to-container traffic is
  # dropped if a FORWARD policy DROP is in force, e.g. left by an earlier dockerd, because
  # br_netfilter passes bridged frames through FORWARD. With no iptables, there is none.)
  # On this project's machines (Debian 12, kernel 6.x) iptables-nft works and this is unused.
  if grep -qiE 'iptables|nf_tables|xtables' <(tail -n 30 "$CACHE/dockerd.log"); then
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait_for_exit "$DOCKERD_PID"
    log "dockerd failed on iptables; retrying with --iptables=false --ip-masq=false"
    spawn_dockerd --iptables=false --ip-masq=false
    wait_for_docker "$DOCKERD_PID" && return 0
  fi
  tail -n 20 "$CACHE/dockerd.log" >&2 || true
  die "dockerd did not answer 'docker info' within ${DOCKER_WAIT}s (log: $CACHE/dockerd.log)"
}

wait_for_exit() {
  local i
  for ((i = 0; i < 20; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.5; done
}

# Fails when a Docker network other than one exactly on the lab's subnet overlaps it
# (typically one Docker allocated from its built-in pools). The CIDR math is the program's own
# (src/config/net.ts, through tools/overlaps.ts): setup installs the npm packages first.
check_lab_subnet_free() {
  local overlapping
  overlapping=$(docker network ls -q | xargs -r docker network inspect \
                  --format '{{.Name}}{{range .IPAM.Config}} {{.Subnet}}{{end}}' \
                | awk -v lab="$LAB_SUBNET" '{ for (i = 2; i <= NF; i++) if ($i != lab) print $1, $i }' \
                | (cd "$SCRIPT_DIR/.." && node -r ts-node/register/transpile-only tools/overlaps.ts "$LAB_SUBNET"))
  [ -z "$overlapping" ] || die "docker networks overlap the lab subnet $LAB_SUBNET; remove them: $(echo "$overlapping" | tr '\n' ' ')"
}

# ---- base image -------------------------------------------------------------------------
BUILD_DIR=""
cleanup() {
  [ -n "$BUILD_DIR" ] && [ -d "$BUILD_DIR" ] || return 0
  # debootstrap may leave proc/sys (or a bind-mounted /dev) mounted after a failure:
  # unmount before deleting, and never let rm cross into another filesystem.
  local m
  awk -v d="$BUILD_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r \
    | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$BUILD_DIR"
}

# tar options: numeric ids (the image's users are not the host's).
TAR_OPTS=(--numeric-owner --xattrs --xattrs-include='*')

assert_no_mounts_under() {
  if awk -v d="$1/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    die "something is still mounted under $1"
  fi
}

# Produces $CACHE/debootstrap-<key>.tar (cached).
ensure_debootstrap_tar() {
  local key tar root
  key="$(debootstrap_key)"
  tar="$CACHE/debootstrap-$key.tar"
  if [ -f "$tar" ]; then
    echo "$tar"
    return 0
  fi
  root="$BUILD_DIR/debootstrap"
  log "debootstrap $SUITE ($VARIANT) with $PACKAGES — this takes a few minutes"
  # noninteractive: tshark asks whether non-superusers may capture; take the default (no).
  DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
    debootstrap --variant="$VARIANT" --include="$PACKAGES" "$SUITE" "$root" >&2 \
    || die "debootstrap failed (see $root/debootstrap/debootstrap.log if it exists)"
  assert_no_mounts_under "$root"
  tar -C "$root" "${TAR_OPTS[@]}" -cf "$BUILD_DIR/debootstrap.tar" .
  mv "$BUILD_DIR/debootstrap.tar" "$tar"
  rm -rf --one-file-system "$root"
  echo "$tar"
}

# Produces $CACHE/rootfs-<tag>.tar (cached).
ensure_rootfs_tar() {
  local tag="$1" tar dtar root
  tar="$CACHE/rootfs-$tag.tar"
  if [ -f "$tar" ]; then
    echo "$tar"
    return 0
  fi
  dtar="$(ensure_debootstrap_tar)"
  root="$BUILD_DIR/rootfs"
  mkdir -p "$root"
  log "configuring rootfs $tag"
  tar -C "$root" "${TAR_OPTS[@]}" -xpf "$dtar"
  configure_rootfs "$root"
  tar -C "$root" "${TAR_OPTS[@]}" -cf "$BUILD_DIR/rootfs.tar" .
  mv "$BUILD_DIR/rootfs.tar" "$tar"
  rm -rf --one-file-system "$root"
  echo "$tar"
}

# Each recipe change leaves a tarball (~330 MB) behind: keep the few most recently used.
# Another checkout that needs a pruned one rebuilds it from the debootstrap tarball (seconds).
prune_cache() {
  local f
  { find "$CACHE" -maxdepth 1 -name 'rootfs-*.tar' -printf '%T@ %p\n' | sort -rn | tail -n +4
    find "$CACHE" -maxdepth 1 -name 'debootstrap-*.tar' -printf '%T@ %p\n' | sort -rn | tail -n +3
  } | while read -r _ f; do
    log "pruning $f"
    rm -f "$f"
  done
}

ensure_image() {
  local tag image tar changes=() c
  tag="$(image_tag)"
  image="$IMAGE_REPO:$tag"
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "image $image present"
    # Mark the tarball as in use, for prune_cache.
    touch -c "$CACHE/rootfs-$tag.tar"
  else
    BUILD_DIR="$(mktemp -d "$CACHE/tmp/build.XXXXXX")"
    tar="$(ensure_rootfs_tar "$tag")"
    for c in "${IMPORT_CHANGES[@]}"; do changes+=(--change "$c"); done
    log "importing $tar as $image"
    docker import "${changes[@]}" -m "mqtt-lab substrate $tag" - "$image" < "$tar" >/dev/null
    cleanup
    BUILD_DIR=""
    touch -c "$tar"
    prune_cache
  fi
  echo "$image" > "$CACHE/base-image.tmp"
  mv "$CACHE/base-image.tmp" "$CACHE/base-image"
  IMAGE="$image"
}

# ---- self-test (--verify) ---------------------------------------------------------------
# Two throwaway containers on a throwaway network with an explicit subnet; traffic goes only
# to them. Removed afterwards, whatever happens.
VERIFY_NET="mqttlab-verify-$$"
VERIFY_CTRS=()
verify_cleanup() {
  local c
  for c in "${VERIFY_CTRS[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  docker network rm "$VERIFY_NET" >/dev/null 2>&1 || true
}

ctr_ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$VERIFY_NET\").IPAddress}}" "$1"; }

wait_until() {  # seconds, command...
  local t="$1" i; shift
  for ((i = 0; i < t * 4; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  return 1
}

verify() {
  local a b c ip_a ip_b got tmpd pinned scanned i
  trap 'verify_cleanup; cleanup' EXIT
  log "verify: network $VERIFY_NET ($VERIFY_SUBNET)"
  docker network create --driver bridge --subnet "$VERIFY_SUBNET" "$VERIFY_NET" >/dev/null
  a="$VERIFY_NET-a"; b="$VERIFY_NET-b"
  VERIFY_CTRS=("$a" "$b")
  tmpd="$(mktemp -d "$CACHE/tmp/verify.XXXXXX")"
  # Test-only broker config: a TCP listener for anonymous clients, in these containers only.
  printf 'listener 1883\nallow_anonymous true\n' > "$tmpd/zz-verify.conf"
  # b gets an injected host key (mode 0644 on purpose: lab-init must fix it); a gets none.
  ssh-keygen -q -t ed25519 -N '' -C verify -f "$tmpd/ssh_host_ed25519_key"
  chmod 0644 "$tmpd/ssh_host_ed25519_key"
  # Capabilities: Docker's defaults plus NET_RAW, named explicitly because tshark needs it
  # (it is in Docker's default set today). NET_ADMIN is not needed.
  for c in "$a" "$b"; do
    docker create --name "$c" --hostname "${c##*-}" --network "$VERIFY_NET" \
      --cap-add NET_RAW "$IMAGE" >/dev/null
    docker cp "$tmpd/zz-verify.conf" "$c:/etc/mosquitto/conf.d/zz-verify.conf"
  done
  docker cp "$tmpd/ssh_host_ed25519_key" "$b:/etc/ssh/ssh_host_ed25519_key"
  docker cp "$tmpd/ssh_host_ed25519_key.pub" "$b:/etc/ssh/ssh_host_ed25519_key.pub"
  pinned="$(cut -d' ' -f1-2 "$tmpd/ssh_host_ed25519_key.pub")"
  rm -rf "$tmpd"
  for c in "$a" "$b"; do docker start "$c" >/dev/null; done
  for c in "$a" "$b"; do
    wait_until 60 sh -c "docker logs '$c' 2>&1 | grep -q 'lab-init: ready'" \
      || die "verify: $c did not get ready: $(docker logs "$c" 2>&1 | tail -5)"
  done
  ip_a="$(ctr_ip "$a")"; ip_b="$(ctr_ip "$b")"
  log "verify: $a=$ip_a $b=$ip_b"

  # 1. sshd answers on the containers' IPs, from the host: a with generated keys of every
  #    type, b with exactly the injected key.
  scanned="$(ssh-keyscan -T 5 "$ip_a" 2>/dev/null | awk '{print $2}' | sort | tr '\n' ' ')"
  [ -n "$scanned" ] || die "verify: no ssh host key from $ip_a:22"
  log "verify: ssh-keyscan $ip_a (generated keys): $scanned"
  scanned="$(ssh-keyscan -T 5 "$ip_b" 2>/dev/null | cut -d' ' -f2-3)"
  [ "$scanned" = "$pinned" ] || die "verify: $ip_b:22 serves '$scanned', expected only the injected key"
  log "verify: ssh-keyscan $ip_b serves only the injected ed25519 key"

  # 2. mosquitto runs in a container.
  docker exec "$a" pgrep -x mosquitto >/dev/null || die "verify: mosquitto not running in $a"
  log "verify: mosquitto running in $a (pid $(docker exec "$a" pgrep -x mosquitto))"

  # 3. pub/sub between the two containers over port 1883 (b subscribes to a's broker).
  docker exec -d "$b" sh -c "mosquitto_sub -h $ip_a -p 1883 -t lab/verify -C 1 -W 30 > /tmp/got 2>&1"
  got=""
  for ((i = 0; i < 20; i++)); do
    sleep 0.5
    # Retained, so that a subscriber that connects after the publish still gets it.
    docker exec "$a" mosquitto_pub -h "$ip_a" -p 1883 -t lab/verify -m "hello-$$" -r -q 1 \
      || die "verify: mosquitto_pub to $ip_a:1883 failed"
    got="$(docker exec "$b" cat /tmp/got 2>/dev/null || true)"
    [ "$got" = "hello-$$" ] && break
  done
  [ "$got" = "hello-$$" ] || die "verify: $b did not receive the message from $ip_a (got: $got)"
  log "verify: $b received hello-$$ from broker on $ip_a:1883"

  # 4. tshark captures inside a container (b) while a publishes to b's broker; publish
  #    until tshark has its packets, as its capture starts a moment after it is launched.
  docker exec -d "$b" sh -c "timeout 30 tshark -i eth0 -c 3 -f 'tcp port 1883' -w /tmp/cap.pcap > /tmp/tshark.out 2>&1"
  for ((i = 0; i < 40; i++)); do
    sleep 0.5
    docker exec "$b" pgrep -x tshark >/dev/null || break
    docker exec "$a" mosquitto_pub -h "$ip_b" -p 1883 -t lab/verify -m "cap-$$" >/dev/null 2>&1 || true
  done
  got="$(docker exec "$b" tshark -r /tmp/cap.pcap 2>/dev/null | wc -l)"
  [ "$got" -ge 1 ] || die "verify: tshark captured nothing in $b: $(docker exec "$b" cat /tmp/tshark.out)"
  log "verify: tshark captured $got packet(s) in $b (no NET_ADMIN)"

  verify_cleanup
  trap cleanup EXIT
  log "verify: all checks passed"
}

# ---- main -------------------------------------------------------------------------------
main() {
  VERIFY=0
  case "${1:-}" in
    "") ;;
    --verify) VERIFY=1 ;;
    *) die "usage: $0 [--verify]" ;;
  esac
  [ "$(id -u)" = 0 ] || die "run as root"
  mkdir -p "$CACHE/tmp"
  # One run at a time per machine (the cache and the daemon are machine-wide).
  exec 9> "$CACHE/.substrate.lock"
  flock 9
  trap cleanup EXIT
  ensure_host_packages
  ensure_docker
  check_lab_subnet_free
  ensure_image
  [ "$VERIFY" = 1 ] && verify
  echo "$IMAGE"
}

main "$@"
