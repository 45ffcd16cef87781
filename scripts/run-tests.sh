#!/usr/bin/env bash
# Runs the bun test suite and ends with the plain closing line CI reads
# ("N passed, N failed"), keeping bun's exit status.
set -o pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bun test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
bun scripts/reap-test-daemons.ts || true
# CI keeps only the tail of the output: repeat each failure's own error text
# (what bun printed between the previous result line and the "(fail)" line) there.
# The last 60 of those lines: the error comes last, after any output of the test's children.
awk '/^\((pass|skip|todo)\)/ { n = 0; next }
     /^[0-9]+ tests? failed:$/ { exit }  # the closing list of failures bun prints
     /^\(fail\)/ { print "---- " $0; for (i = (n > 60 ? n - 60 : 0); i < n; i++) print buf[i % 60]; n = 0; next }
     { buf[n++ % 60] = $0 }' "$log" > "$log.fail"
if [ -s "$log.fail" ]; then echo "==== failures, repeated:"; cat "$log.fail"; fi
rm -f "$log.fail"
pass=$(grep -E '^ *[0-9]+ pass$' "$log" | tail -1 | tr -dc '0-9')
fail=$(grep -E '^ *[0-9]+ fail$' "$log" | tail -1 | tr -dc '0-9')
echo "${pass:-0} passed, ${fail:-0} failed"
exit "$rc"
