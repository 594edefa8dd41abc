#!/usr/bin/env bash
# Hostile input: alias bombs, deep nesting, huge scalars, too many documents,
# too much input, many errors and a large valid cluster, each generated here.
# Each run must end by itself within its time limit, with exit status 0 or 1
# (never a crash or a signal), within its memory limit, and say why when it
# refuses. The bounds are those of docs/robustness.md.
set -u
NETPOLC=${1:-build/netpolc}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
# Sanitizers reserve terabytes of address space and double the time: bounds
# on memory are only checked without them.
sanitized=0
grep -q __asan_init "$NETPOLC" 2>/dev/null && sanitized=1

# run NAME SECONDS MAX_RSS_MB EXPECTED_EXIT STDERR_PATTERN -- ARGS...
run() {
  local name=$1 seconds=$2 max_mb=$3 want=$4 pattern=$5
  shift 6
  local start=$SECONDS rc rss_kb
  /usr/bin/time -f '%M' -o "$tmp/rss" timeout -s KILL "$seconds" "$NETPOLC" compile "$@" \
    >"$tmp/out" 2>"$tmp/err" <"${STDIN:-/dev/null}"
  rc=$?
  rss_kb=$(tail -1 "$tmp/rss" 2>/dev/null | grep -oE '^[0-9]+$' || echo 0)
  local took=$((SECONDS - start)) problem=""
  if [ $rc = 137 ]; then problem="did not finish within ${seconds}s"
  elif [ $rc != "$want" ]; then problem="exit $rc, expected $want"
  elif [ -n "$pattern" ] && ! grep -qE "$pattern" "$tmp/err"; then problem="stderr lacks /$pattern/"
  elif [ $sanitized = 0 ] && [ "$rss_kb" -gt $((max_mb * 1024)) ]; then
    problem="peak RSS $((rss_kb / 1024)) MB over $max_mb MB"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"; head -c 2000 "$tmp/err"; fail=$((fail + 1))
  else
    echo "ok   $name (${took}s, $((rss_kb / 1024)) MB)"; pass=$((pass + 1))
  fi
}

lab=fixtures/clusters/seeds-lab.yaml
pol=fixtures/seeds/np11-foo-deny-egress-dns.yaml
inv_header='apiVersion: netpolc/v1
kind: Inventory'
repeat() { awk -v s="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? ", " : ""), s }'; }

# Billion laughs: ten levels of ten aliases, 10^10 values once expanded.
{
  echo "apiVersion: networking.k8s.io/v1"; echo "kind: NetworkPolicy"
  echo "metadata: {name: lol}"; echo "x:"; echo "  l0: &l0 [lol]"
  for i in $(seq 1 9); do echo "  l$i: &l$i [$(repeat "*l$((i - 1))" 10)]"; done
  echo "spec: {podSelector: {}, ingress: [{from: *l9}]}"
} >"$tmp/laughs.yaml"
run "policy alias bomb" 10 256 1 "too large once YAML aliases are expanded" -- -s $lab -p "$tmp/laughs.yaml"
# The same in a snapshot: 1000 pods x 1000 containers x 1000 ports.
{
  echo "apiVersion: v1"; echo "kind: List"; echo "x:"
  echo "  pt: &pt {containerPort: 80}"; echo "  ps: &ps [$(repeat '*pt' 1000)]"
  echo "  c: &c {ports: *ps}"; echo "  cs: &cs [$(repeat '*c' 1000)]"
  echo "  p: &p {kind: Pod, metadata: {name: a}, spec: {containers: *cs}}"
  echo "items: [$(repeat '*p' 1000)]"
} >"$tmp/snapshot-bomb.yaml"
run "snapshot alias bomb" 10 256 1 "too large once YAML aliases are expanded" -- -s "$tmp/snapshot-bomb.yaml" -p $pol
printf '&l {kind: List, items: [*l]}\n' >"$tmp/self.yaml"
run "self-referencing alias" 10 256 1 "alias inside itself" -- -s "$tmp/self.yaml" -p "$tmp/self.yaml"

# Deep nesting: past yaml-cpp's own guard, and past ours (256) below it.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }' >"$tmp/deep-flow.yaml"
run "100000 nested brackets" 10 256 1 "nested too deeply" -- -s "$tmp/deep-flow.yaml" -p "$tmp/deep-flow.yaml"
awk 'BEGIN { printf "kind: List\nitems: "; for (i = 0; i < 300; i++) printf "["; for (i = 0; i < 300; i++) printf "]"; print "" }' >"$tmp/deep-300.yaml"
run "300 nested lists" 10 256 1 "nested more than 256 levels deep" -- -s "$tmp/deep-300.yaml" -p "$tmp/deep-300.yaml"

# A label value of 20 MB: refused, and the message and quoted line are cut.
{ echo "$inv_header"; printf 'namespaces:\n  x: {a: '; head -c 20000000 /dev/zero | tr '\0' v; echo '}'; } >"$tmp/huge-scalar.yaml"
run "20 MB scalar" 60 1024 1 'invalid label value "v+\[\.\.\.\]v+"' -- -s "$tmp/huge-scalar.yaml" -p $pol
if [ "$(wc -c <"$tmp/err")" -gt 5000 ]; then echo "FAIL 20 MB scalar: $(wc -c <"$tmp/err") bytes of diagnostics"; fail=$((fail + 1)); fi

# Documents: one more than the limit, empty ones, which cost yaml-cpp the most.
awk 'BEGIN { for (i = 0; i <= 1000000; i++) print "---" }' >"$tmp/many-docs.yaml"
run "1000001 documents" 30 512 1 "more than 1000000 YAML documents" -- -s $lab -p "$tmp/many-docs.yaml"

# Too much input: refused before it is read, from a file or from stdin.
truncate -s 129M "$tmp/sparse.yaml"
run "129 MiB file" 10 256 1 "input too large: a run reads at most 128 MiB" -- -s $lab -p "$tmp/sparse.yaml"
STDIN="$tmp/sparse.yaml" run "129 MiB on stdin" 30 512 1 "input too large" -- -s $lab -p -

# Many errors, every one reported: 100000 addresses that are not.
{ echo "$inv_header"; echo "pods:"; echo "  x/a:"; echo "    ips:"; yes '    - not-an-ip' | head -100000; } >"$tmp/errors.yaml"
run "100000 errors" 60 1024 1 "ips\[99999\]: \"not-an-ip\" is not an IP address" -- -s "$tmp/errors.yaml" -p $pol

# Policies x pods: 6000 policies that each isolate and allow all of 50000
# pods would take 900 million steps to resolve; the limit stops them.
awk 'BEGIN { print "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces: {default: {}}\npods:"
  for (i = 0; i < 50000; i++)
    printf "  default/p%d: {labels: {id: p%d}, ips: [10.%d.%d.%d]}\n", i, i, 1 + int(i / 65536), int(i / 256) % 256, i % 256 }' \
  >"$tmp/pods.yaml"
awk 'BEGIN { for (i = 0; i < 6000; i++)
  printf "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p%d}\nspec: {ingress: [{from: [{podSelector: {}}]}]}\n---\n", i }' \
  >"$tmp/policies.yaml"
run "6000 policies x 50000 pods" 90 1536 1 "too large to resolve: more than 200000000 steps" -- -s "$tmp/pods.yaml" -p "$tmp/policies.yaml"

# One rule with 100000 ipBlock peers, an ipBlock with 100000 excepts and
# 100000 named ports: each merged once, not once per entry (which took
# minutes).
awk 'BEGIN { print "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: wide}\nspec:\n  egress:\n  - to:"
  for (i = 0; i < 100000; i++) printf "    - ipBlock: {cidr: 10.%d.%d.%d/32}\n", int(i / 32768), int(i / 128) % 256, 2 * (i % 128)
  print "  - to:\n    - ipBlock:\n        cidr: 11.0.0.0/8\n        except:"
  for (i = 0; i < 100000; i++) printf "        - 11.%d.%d.%d/32\n", int(i / 32768), int(i / 128) % 256, 2 * (i % 128)
  print "  - ports:"
  for (i = 0; i < 100000; i++) print "    - port: http" }' >"$tmp/wide.yaml"
run "100000 peers, excepts and named ports" 60 1024 0 "" -- -s $lab -p "$tmp/wide.yaml" -o "$tmp/wide.nft"

# 20000 chains (each pod's named port is another number) sharing one rule
# whose peers are 50000 ranges: the set is looked up once, not per chain.
awk 'BEGIN { print "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces: {default: {}}\npods:"
  for (i = 0; i < 20000; i++)
    printf "  default/p%d: {ips: [10.%d.%d.%d], ports: [\"http=%d/TCP\"]}\n", i, 1 + int(i / 65536), int(i / 256) % 256, i % 256, i + 1 }' \
  >"$tmp/chains.yaml"
awk 'BEGIN { print "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: wide}\nspec:\n  ingress:\n  - ports: [{port: http}]\n    from:"
  for (i = 0; i < 50000; i++) printf "    - ipBlock: {cidr: 12.%d.%d.%d/32}\n", int(i / 32768), int(i / 128) % 256, 2 * (i % 128) }' \
  >"$tmp/chains-policy.yaml"
run "20000 chains sharing a 50000-range rule" 60 1024 0 "" -- -s "$tmp/chains.yaml" -p "$tmp/chains-policy.yaml" -o "$tmp/chains.nft"

# 100000 labels in a selector and in an inventory namespace, all invalid in
# the latter: each entry checked where it was read (looked up again, they
# took minutes).
{
  printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: labels}\n'
  printf 'spec:\n  podSelector:\n    matchLabels:\n'
  awk 'BEGIN { for (i = 0; i < 100000; i++) printf "      k%d: v\n", i }'
} >"$tmp/labels.yaml"
{ echo "$inv_header"; echo "namespaces:"; echo "  x:"; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "    -k%d: v\n", i }'; } \
  >"$tmp/bad-labels.yaml"
run "100000 labels" 30 1024 1 'invalid label key "-k99999"' -- -s "$tmp/bad-labels.yaml" -p "$tmp/labels.yaml"

# A large valid cluster as kubectl prints it: 10000 pods (about 7 MB).
awk 'BEGIN {
  print "apiVersion: v1\nkind: List\nitems:"
  for (i = 0; i < 10000; i++) {
    printf "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: pod-%d\n    namespace: default\n", i
    printf "    labels: {app: app-%d, tier: t%d}\n    uid: 0e3b2c1a-%08d\n", i % 200, i % 3, i
    printf "  spec:\n    containers:\n    - name: main\n      image: registry.example/app:1.2.3\n"
    printf "      ports:\n      - {name: http, containerPort: 8080, protocol: TCP}\n"
    printf "      resources: {limits: {cpu: 500m, memory: 128Mi}}\n"
    printf "  status:\n    phase: Running\n    podIP: 10.%d.%d.%d\n", 1 + int(i / 65536), int(i / 256) % 256, i % 256
    printf "    podIPs:\n    - ip: 10.%d.%d.%d\n", 1 + int(i / 65536), int(i / 256) % 256, i % 256
  }
}' >"$tmp/large.yaml"
run "10000 pods (kubectl, 7 MB)" 120 2048 0 "" -- -s "$tmp/large.yaml" -p $pol -o "$tmp/large.nft"

echo "hostile: $pass passed, $fail failed"
[ "$fail" = 0 ]
