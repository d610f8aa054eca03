# shellcheck shell=bash
# write-evidence.sh — runs on the machine running Pulumi after the checks: writes the evidence
# report (report.md, report.json, a bundle on stdin) as EVIDENCE_BASE.md and EVIDENCE_BASE.json,
# each replaced whole. Data header: EVIDENCE_BASE.
set -eu
mkdir -p "$(dirname "$EVIDENCE_BASE")"
W=$(mktemp -d "$(dirname "$EVIDENCE_BASE")/.evidence.XXXXXX"); trap 'rm -rf "$W"' EXIT
read_bundle "$W"
for f in report.md report.json; do mv -f "$W/$f" "$EVIDENCE_BASE.${f#report.}"; done
