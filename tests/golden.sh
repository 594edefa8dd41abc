#!/usr/bin/env bash
# Golden tests: one fixture -> one expected output per backend, at a mirrored
# path under golden/. Every fixture under fixtures/seeds and fixtures/cases is
# compiled with the arguments in its `# golden:` header lines:
#
#   # golden: NAME: ARGS...   -> golden/<dir>/<fixture>.NAME.nft           (-b nft)
#                                golden/<dir>/<fixture>.NAME.iptables      (-b iptables)
#                                golden/<dir>/<fixture>.NAME.ipset.iptables
#                                  + golden/<dir>/<fixture>.NAME.ipset     (-b iptables --ipset-out)
#                                golden/<dir>/<fixture>.NAME.ip6tables     (-b ip6tables)
#
# (no header: golden/<dir>/<fixture>.nft and so on, with the seeds' lab
# snapshot). ARGS naming --table, --audit or --log-denied are for nft only. UPDATE_GOLDEN=1 rewrites
# the goldens instead of comparing; review them as diffs. Every golden is
# loaded the way the real tool would, in a throwaway network namespace:
# `nft -c -f`; `iptables-restore --test` / `ip6tables-restore --test` and a
# real `--noflush` load there (after `ipset restore` of its sets).
set -u
NETPOLC=${1:-build/netpolc}
cd "$(dirname "$0")/.."
fail=0
count=0
default_args="-s fixtures/clusters/seeds-lab.yaml"
tmp=$(mktemp -d)
ns=""
if [ "$(id -u)" = 0 ] && ip netns add "npg$$" 2>/dev/null; then
  ns="npg$$"
  trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
  echo "golden: WARNING: cannot create a network namespace; goldens are not checked with nft -c / iptables-restore --test" >&2
fi

# compare GOLDEN PRODUCED: 0 when equal (or rewritten with UPDATE_GOLDEN=1).
compare() {
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
    mkdir -p "$(dirname "$1")"; cp "$2" "$1"; return 0
  fi
  if ! diff -u "$1" "$2" >"$tmp/diff" 2>&1; then
    echo "FAIL $1 differs (UPDATE_GOLDEN=1 to accept):"; head -40 "$tmp/diff"; return 1
  fi
}

# refused GOLDEN COMMAND...: the real tool's check of a golden, in $ns.
refused() {
  local golden=$1 out
  shift
  [ -n "$ns" ] || return 1
  if ! out=$(ip netns exec "$ns" "$@" 2>&1); then
    echo "FAIL $golden is refused by $*:"; echo "$out"; return 0
  fi
  return 1
}

# check_one FIXTURE GOLDEN_BASE BACKEND ARGS...
check_one() {
  local fixture=$1 base=$2 backend=$3 out golden sets=""
  shift 3
  local extra=(-b "$backend")
  case $backend in
    nft) golden=$base.nft ;;
    iptables) golden=$base.iptables ;;
    ip6tables) golden=$base.ip6tables ;;
    ipset) golden=$base.ipset.iptables; sets=$base.ipset; extra=(-b iptables --ipset-out "$tmp/sets") ;;
  esac
  count=$((count + 1))
  if ! out=$("$NETPOLC" compile "$@" "${extra[@]}" -p "$fixture" -o "$tmp/rules" 2>&1); then
    echo "FAIL $fixture (-b $backend): netpolc exited non-zero:"; echo "$out"; fail=$((fail + 1)); return
  fi
  compare "$golden" "$tmp/rules" || { fail=$((fail + 1)); return; }
  if [ -n "$sets" ]; then
    compare "$sets" "$tmp/sets" || { fail=$((fail + 1)); return; }
  fi
  case $backend in
    nft) refused "$golden" nft -c -f "$golden" && fail=$((fail + 1)) ;;
    iptables | ip6tables) loads "$golden" "$backend" || fail=$((fail + 1)) ;;
    ipset)
      if refused "$sets" ipset restore -f "$sets" || ! loads "$golden" iptables; then
        fail=$((fail + 1))
      fi
      [ -n "$ns" ] && ip netns exec "$ns" ipset destroy 2>/dev/null ;;
  esac
}

# loads GOLDEN iptables|ip6tables: `--test`, then a real load into $ns (which
# also sees jumps to chains that do not exist), then $ns emptied again.
loads() {
  local golden=$1 cmd=$2 bad=0
  refused "$golden" "$cmd-restore" --test --noflush "$golden" && bad=1
  [ $bad = 0 ] && refused "$golden" "$cmd-restore" --noflush "$golden" && bad=1
  [ -n "$ns" ] && ip netns exec "$ns" sh -c "$cmd -F && $cmd -X" 2>/dev/null
  [ $bad = 0 ]
}

# check_all FIXTURE GOLDEN_BASE ARGS...: every backend.
check_all() {
  local fixture=$1 base=$2 backend
  shift 2
  for backend in nft iptables ipset ip6tables; do
    case " $* " in *" --table "* | *" --audit "* | *" --log-denied"*) [ "$backend" = nft ] || continue ;; esac
    check_one "$fixture" "$base" "$backend" "$@"
  done
}

for fixture in $(find fixtures/seeds fixtures/cases -name '*.yaml' 2>/dev/null | sort); do
  rel=${fixture#fixtures/}
  base=golden/${rel%.yaml}
  headers=$(grep -E '^# golden: ' "$fixture" || true)
  if [ -z "$headers" ]; then
    # shellcheck disable=SC2086
    check_all "$fixture" "$base" $default_args
    continue
  fi
  while IFS= read -r h; do
    h=${h#\# golden: }
    name=${h%%:*}
    args=${h#*: }
    # shellcheck disable=SC2086
    check_all "$fixture" "$base.$name" $args
  done <<<"$headers"
done
echo "golden: $((count - fail)) passed, $fail failed"
[ "$fail" = 0 ]
