#!/usr/bin/env bash
# The command-line contract (../shared/spec/cli.md) of `netpolc compile` (and
# suggest, and the usage errors of apply, verify, observe and stats):
# exit codes, nothing written on bad input, stdin and directories as inputs,
# byte-identical output for the same inputs, and a one-pod change giving a
# one-line diff.
set -u
NETPOLC=${1:-build/netpolc}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
# Only this shell cleans up: a background job killed by the SIGTERM test
# below before it has exec'd netpolc is still a copy of this shell, and under
# load bash ran this trap there, deleting $tmp under the running tests.
trap '[ "$BASHPID" = "$$" ] && rm -rf "$tmp"' EXIT
pass=0
fail=0
check() {  # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
lab=fixtures/clusters/seeds-lab.yaml
np11=fixtures/seeds/np11-foo-deny-egress-dns.yaml

"$NETPOLC" compile -s $lab -p $np11 -o "$tmp/a.nft"; rc=$?
check "compile succeeds with exit 0" test $rc = 0
check "the output file is written" test -s "$tmp/a.nft"
"$NETPOLC" compile -s $lab -p $np11 >"$tmp/b.nft"
check "stdout and -o give the same bytes" cmp -s "$tmp/a.nft" "$tmp/b.nft"
"$NETPOLC" compile -s $lab -p - <$np11 | sed 's/<stdin>//' >"$tmp/c.nft"
check "policies from stdin compile the same" cmp -s "$tmp/a.nft" "$tmp/c.nft"
"$NETPOLC" compile -s $lab -p fixtures/e2e -o "$tmp/dir.nft" 2>/dev/null; rc=$?
check "a directory of non-policy YAML is refused (exit 1)" test $rc = 1

cp "$tmp/a.nft" "$tmp/keep.nft"
"$NETPOLC" compile -s $lab -p fixtures/errors/bad-np11-database-no-egress.yaml -o "$tmp/a.nft" 2>"$tmp/err"; rc=$?
check "bad input exits 1" test $rc = 1
check "bad input leaves the old output untouched" cmp -s "$tmp/a.nft" "$tmp/keep.nft"
check "bad input names file:line:col and field" grep -q 'bad-np11-database-no-egress.yaml:18:5: error: spec.egress\[0\].podSelector' "$tmp/err"
"$NETPOLC" compile -s $lab -p fixtures/errors/bad-np11-database-no-egress.yaml -o "$tmp/new.nft" 2>/dev/null
check "bad input writes no new file" test ! -e "$tmp/new.nft"
check "no temporary file is left behind" test -z "$(ls "$tmp" | grep netpolc-tmp)"

"$NETPOLC" compile -s $lab >/dev/null 2>&1; rc=$?
check "a missing required option exits 2" test $rc = 2
"$NETPOLC" compile -s $lab -p $np11 --no-such-flag >/dev/null 2>&1; rc=$?
check "an unknown flag exits 2" test $rc = 2
"$NETPOLC" compile -s $lab -p $np11 --endpoint default/nope >/dev/null 2>"$tmp/err"; rc=$?
check "an unknown --endpoint pod exits 1" test $rc = 1
check "an unknown --endpoint pod gets a did-you-mean" grep -q 'did you mean' "$tmp/err"

# Determinism and locality: the same inputs give the same bytes; one pod more
# gives one more map element and one more set element, nothing else.
"$NETPOLC" compile -s $lab -p fixtures/cases -o "$tmp/seeds1.nft"
"$NETPOLC" compile -s $lab -p fixtures/cases -o "$tmp/seeds2.nft"
check "the same inputs give byte-identical output" cmp -s "$tmp/seeds1.nft" "$tmp/seeds2.nft"
cat >"$tmp/one-more.yaml" <<'POD'
apiVersion: netpolc/v1
kind: Inventory
pods:
  default/foo-2:
    labels: {app: foo}
    ips: [10.244.1.99]
POD
"$NETPOLC" compile -s $lab -p $np11 -o "$tmp/before.nft"
"$NETPOLC" compile -s $lab -s "$tmp/one-more.yaml" -p $np11 -o "$tmp/after.nft"
changed=$(diff "$tmp/before.nft" "$tmp/after.nft" | grep -c '^[<>]')
check "one pod added changes only its map element and the header ($changed lines)" test "$changed" = 3

# suggest: bad observed flows exit 1 and write nothing; the output is what
# stdout shows, written whole; what it writes compiles with the policies.
lock=fixtures/seeds/np12-complete-lockdown.yaml
obs=fixtures/suggest/lockdown.json
"$NETPOLC" suggest -s $lab -p $lock --from-observed $obs -o "$tmp/s.yaml" --diff none 2>/dev/null; rc=$?
check "suggest succeeds with exit 0" test $rc = 0
"$NETPOLC" suggest -s $lab -p $lock --from-observed $obs --diff none >"$tmp/s2.yaml" 2>/dev/null
check "suggest: stdout and -o give the same bytes" cmp -s "$tmp/s.yaml" "$tmp/s2.yaml"
"$NETPOLC" compile -s $lab -p $lock -p "$tmp/s.yaml" -o /dev/null; rc=$?
check "suggest: its output compiles with the policies in force" test $rc = 0
"$NETPOLC" suggest -s $lab -p $lock -p "$tmp/s.yaml" --from-observed $obs --diff none 2>"$tmp/err" >"$tmp/s3.yaml"
check "suggest: once applied, the same flows suggest no policy" test -z "$(grep -v '^#' "$tmp/s3.yaml")"
check "  and say they are allowed already" grep -q 'already allowed by default/allow-observed-frontend-egress' "$tmp/err"
"$NETPOLC" suggest -s $lab -p $lock --from-observed $obs 2>"$tmp/err" >/dev/null
check "suggest: the reachability it opens goes to stderr" grep -q '8 flows become allowed, 0 flows become denied' "$tmp/err"
cp "$tmp/s.yaml" "$tmp/keep.yaml"
"$NETPOLC" suggest -s $lab -p $lock --from-observed fixtures/errors/flows/bad-port-range.json -o "$tmp/s.yaml" 2>"$tmp/err"; rc=$?
check "suggest: bad observed flows exit 1" test $rc = 1
check "  and leave the old output untouched" cmp -s "$tmp/s.yaml" "$tmp/keep.yaml"
check "  and name file:line:col and field" grep -q 'bad-port-range.json:6:138: error: flows\[0\].port: port 70000 is out of range 1-65535' "$tmp/err"
"$NETPOLC" suggest -s $lab -p $lock --from-observed fixtures/errors/flows/bad-kind.json -o "$tmp/s-new.yaml" 2>/dev/null; rc=$?
check "suggest: a wrong kind exits 1 and writes no new file" test $rc = 1 -a ! -e "$tmp/s-new.yaml"
"$NETPOLC" suggest -s $lab -p $lock --from-observed "$tmp/no-such.json" 2>"$tmp/err" >/dev/null; rc=$?
check "suggest: a missing flows file exits 1" test $rc = 1
check "  and is named" grep -q 'no-such.json: error: no such file or directory' "$tmp/err"
"$NETPOLC" suggest -s $lab -p $lock >/dev/null 2>&1; rc=$?
check "suggest without --from-observed exits 2" test $rc = 2
"$NETPOLC" suggest -s $lab -p $lock --from-observed $obs --diff html >/dev/null 2>&1; rc=$?
check "suggest --diff html exits 2" test $rc = 2
"$NETPOLC" suggest -s $lab -p $lock --from-observed - --diff none <$obs >"$tmp/s4.yaml" 2>/dev/null
check "suggest: flows from stdin give the same policies" \
  test "$(grep -v '^#' "$tmp/s4.yaml")" = "$(grep -v '^#' "$tmp/s.yaml")"

# apply and verify: flags of the wrong backend and bad --external values are
# usage errors (exit 2), found before anything touches the kernel.
"$NETPOLC" apply -s $lab -p $np11 -b iptables --table other >/dev/null 2>&1; rc=$?
check "apply -b iptables --table exits 2" test $rc = 2
"$NETPOLC" apply -s $lab -p $np11 --ipset >/dev/null 2>&1; rc=$?
check "apply --ipset without -b iptables exits 2" test $rc = 2
"$NETPOLC" apply -s $lab -p $np11 --netns netpolc-no-such-ns >/dev/null 2>"$tmp/err"; rc=$?
check "apply into a namespace that does not exist exits 1" test $rc = 1
check "  and names it" grep -q 'netpolc-no-such-ns' "$tmp/err"
"$NETPOLC" verify -s $lab -p $np11 --external 192.0.2.1:99999 >/dev/null 2>"$tmp/err"; rc=$?
check "verify --external with a bad port exits 2" test $rc = 2
check "  and says why" grep -q "bad port '99999'" "$tmp/err"
# Nothing half-done: an output that cannot be written is reported and leaves
# no file behind; SIGTERM at any moment leaves the old output or the whole
# new one, and never a temporary file.
"$NETPOLC" compile -s $lab -p $np11 -o "$tmp/no-such-dir/a.nft" 2>"$tmp/err"; rc=$?
check "an output in a missing directory exits 1" test $rc = 1
check "an output in a missing directory is reported" grep -q 'cannot write output file' "$tmp/err"
mkdir -p "$tmp/outdir/a.nft/x"
"$NETPOLC" compile -s $lab -p $np11 -o "$tmp/outdir/a.nft" 2>/dev/null; rc=$?
check "an output that is a directory exits 1 and leaves no temporary file" \
  test $rc = 1 -a "$(ls "$tmp/outdir")" = a.nft
awk 'BEGIN { print "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces: {default: {}}\npods:"
  for (i = 0; i < 20000; i++)
    printf "  default/p%d: {labels: {app: foo}, ips: [10.%d.%d.%d]}\n", i, 1 + int(i / 65536), int(i / 256) % 256, i % 256 }' \
  >"$tmp/big.yaml"
"$NETPOLC" compile -s "$tmp/big.yaml" -p $np11 -o "$tmp/big.nft"
mkdir -p "$tmp/kill"
bad=0
for delay in 0 0.02 0.05 0.1 0.15 0.2 0.25 0.3 0.4 0.5 0.7 1; do
  echo old >"$tmp/kill/out.nft"
  "$NETPOLC" compile -s "$tmp/big.yaml" -p $np11 -o "$tmp/kill/out.nft" &
  sleep $delay
  kill -TERM $! 2>/dev/null
  wait $! 2>/dev/null
  if [ "$(ls "$tmp/kill")" != out.nft ]; then bad=$((bad + 1)); echo "left: $(ls "$tmp/kill")"; fi
  if ! cmp -s "$tmp/kill/out.nft" "$tmp/big.nft" && [ "$(cat "$tmp/kill/out.nft")" != old ]; then
    bad=$((bad + 1)); echo "partial output after SIGTERM at ${delay}s"
  fi
  rm -f "$tmp"/kill/*
done
check "SIGTERM at 12 moments of a compile leaves the old or the whole new output, nothing else" test $bad = 0

# --audit / --log-denied, observe and stats (docs/audit.md): usage errors exit
# 2 and say why; a namespace or table that is not there exits 1.
"$NETPOLC" compile -s $lab -p $np11 --log-denied=10/fortnight >/dev/null 2>"$tmp/err"; rc=$?
check "compile --log-denied with a bad rate exits 2" test $rc = 2
check "a bad rate says what a rate looks like" grep -q "expected COUNT/UNIT" "$tmp/err"
"$NETPOLC" compile -s $lab -p $np11 --log-denied=0/second >/dev/null 2>&1; rc=$?
check "compile --log-denied=0/second exits 2" test $rc = 2
"$NETPOLC" compile -s $lab -p $np11 -b iptables --audit >/dev/null 2>&1; rc=$?
check "compile -b iptables --audit exits 2" test $rc = 2
"$NETPOLC" apply -s $lab -p $np11 -b iptables --log-denied >/dev/null 2>&1; rc=$?
check "apply -b iptables --log-denied exits 2" test $rc = 2
"$NETPOLC" compile -s $lab -p $np11 --nflog-group 65536 >/dev/null 2>&1; rc=$?
check "compile --nflog-group 65536 exits 2" test $rc = 2
"$NETPOLC" compile -s $lab -p $np11 --log-denied --nflog-group 9 -o "$tmp/log.nft"; rc=$?
check "compile --log-denied without a rate succeeds" test $rc = 0
check "--log-denied alone logs 10/second to the group given" grep -q 'limit rate 10/second log prefix "np E .*" group 9' "$tmp/log.nft"
"$NETPOLC" compile -s $lab -p $np11 --audit -o "$tmp/audit.nft"
check "--audit ends the pod chains in return" grep -q 'counter name "deny/default/foo-deny-egress/egress" return' "$tmp/audit.nft"
"$NETPOLC" observe --duration 3 >/dev/null 2>"$tmp/err"; rc=$?
check "observe --duration without a unit exits 2" test $rc = 2
check "a bad duration gives examples" grep -q "e.g. 30s" "$tmp/err"
"$NETPOLC" observe --output yaml >/dev/null 2>&1; rc=$?
check "observe --output yaml exits 2" test $rc = 2
"$NETPOLC" observe --count 0 >/dev/null 2>&1; rc=$?
check "observe --count 0 exits 2" test $rc = 2
"$NETPOLC" stats --output csv >/dev/null 2>&1; rc=$?
check "stats --output csv exits 2" test $rc = 2
"$NETPOLC" observe --netns netpolc-no-such-ns --duration 1s >/dev/null 2>"$tmp/err"; rc=$?
check "observe in a namespace that does not exist exits 1" test $rc = 1
"$NETPOLC" stats --netns netpolc-no-such-ns >/dev/null 2>"$tmp/err"; rc=$?
check "stats in a namespace that does not exist exits 1" test $rc = 1
"$NETPOLC" observe -s fixtures/errors/bad-np11-database-no-egress.yaml --duration 1s >/dev/null 2>"$tmp/err"; rc=$?
check "observe with a snapshot that is not one exits 1" test $rc = 1

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
