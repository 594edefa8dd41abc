#!/usr/bin/env bash
# Golden tests: one fixture -> one expected output per backend, at a mirrored
# path under golden/. Every fixture under fixtures/seeds and fixtures/cases is
# compiled with the arguments in its `# golden:` header lines:
#
#   # golden: NAME: ARGS...        -> golden/<dir>/<fixture>.NAME.nft
#
# (no header: one golden, golden/<dir>/<fixture>.nft, with the seeds' lab
# snapshot). UPDATE_GOLDEN=1 rewrites the goldens instead of comparing; review
# them as diffs. Every golden is loaded with `nft -c -f` in a throwaway
# network namespace, as the real tool would.
set -u
NETPOLC=${1:-build/netpolc}
cd "$(dirname "$0")/.."
fail=0
count=0
default_args="-s fixtures/clusters/seeds-lab.yaml"
ns=""
if [ "$(id -u)" = 0 ] && ip netns add "npg$$" 2>/dev/null; then
  ns="npg$$"
  trap 'ip netns del "$ns" 2>/dev/null' EXIT
else
  echo "golden: WARNING: cannot create a network namespace; goldens are not checked with nft -c" >&2
fi

check_one() {  # fixture golden args...
  local fixture=$1 golden=$2
  shift 2
  local out
  count=$((count + 1))
  if ! out=$("$NETPOLC" compile "$@" -p "$fixture" 2>&1 >/tmp/golden.$$); then
    echo "FAIL $fixture: netpolc exited non-zero:"; echo "$out"; fail=$((fail + 1)); return
  fi
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
    mkdir -p "$(dirname "$golden")"; cp /tmp/golden.$$ "$golden"
  elif ! diff -u "$golden" /tmp/golden.$$ >/tmp/golden.diff.$$ 2>&1; then
    echo "FAIL $fixture -> $golden differs (UPDATE_GOLDEN=1 to accept):"; head -40 /tmp/golden.diff.$$
    fail=$((fail + 1)); return
  fi
  if [ -n "$ns" ] && ! out=$(ip netns exec "$ns" nft -c -f "$golden" 2>&1); then
    echo "FAIL $golden is refused by nft -c:"; echo "$out"; fail=$((fail + 1))
  fi
}

for fixture in $(find fixtures/seeds fixtures/cases -name '*.yaml' 2>/dev/null | sort); do
  rel=${fixture#fixtures/}
  base=golden/${rel%.yaml}
  headers=$(grep -E '^# golden: ' "$fixture" || true)
  if [ -z "$headers" ]; then
    # shellcheck disable=SC2086
    check_one "$fixture" "$base.nft" $default_args
    continue
  fi
  while IFS= read -r h; do
    h=${h#\# golden: }
    name=${h%%:*}
    args=${h#*: }
    # shellcheck disable=SC2086
    check_one "$fixture" "$base.$name.nft" $args
  done <<<"$headers"
done
rm -f /tmp/golden.$$ /tmp/golden.diff.$$
echo "golden: $((count - fail)) passed, $fail failed"
[ "$fail" = 0 ]
