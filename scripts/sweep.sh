#!/usr/bin/env bash
# sweep.sh — remove what killed test runs left: containers and networks labelled
# mqtt-lab-run (tests label everything they create with their run id), and their state dirs.
# Only test resources carry that label; the local lab stack's do not.
set -euo pipefail
mapfile -t ids < <(docker ps -aq --filter label=mqtt-lab-run)
[ ${#ids[@]} -eq 0 ] || docker rm -f "${ids[@]}" >/dev/null
mapfile -t nets < <(docker network ls -q --filter label=mqtt-lab-run)
[ ${#nets[@]} -eq 0 ] || docker network rm "${nets[@]}" >/dev/null
rm -rf "${TMPDIR:-/tmp}"/mqtt-lab-test-*
# Stack files the Automation API wrote for test stacks (named mlt<run id>) beside their programs.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
find "$root" "$root/test/fixtures" -maxdepth 2 -name 'Pulumi.mlt*.yaml' -delete 2>/dev/null || true
echo "sweep: removed ${#ids[@]} containers, ${#nets[@]} networks"
