#!/usr/bin/env bash
# Runs the bun test suite and ends with the plain closing line CI reads
# ("N passed, N failed"), keeping bun's exit status.
set -o pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bun test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
pass=$(grep -E '^ *[0-9]+ pass$' "$log" | tail -1 | tr -dc '0-9')
fail=$(grep -E '^ *[0-9]+ fail$' "$log" | tail -1 | tr -dc '0-9')
echo "${pass:-0} passed, ${fail:-0} failed"
exit "$rc"
