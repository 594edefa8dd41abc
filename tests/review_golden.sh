#!/usr/bin/env bash
# Golden tests of the review commands (matrix, explain, diff, lint, graph)
# and of suggest. Every file under fixtures/review/ and fixtures/suggest/ may
# carry header lines
#
#   # review: NAME: ARGS...      -> golden/<its path below fixtures/, without extension>.NAME
#
# ARGS are netpolc's arguments; {} stands for the file itself. The golden is
# what netpolc prints on stdout, then "[exit N]" when it exits non-zero and
# "[stderr]" with what it printed there, if anything. UPDATE_GOLDEN=1 rewrites
# the goldens instead of comparing; review them as diffs. Checked on the side:
# every JSON and SARIF golden parses (python3), and `graph --format svg` gives
# an SVG when Graphviz is installed.
set -u
NETPOLC=${1:-build/netpolc}
cd "$(dirname "$0")/.."
fail=0
count=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_one() {  # golden args...
  local golden=$1
  shift
  count=$((count + 1))
  "$NETPOLC" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [ "$rc" = 0 ] || echo "[exit $rc]" >>"$tmp/out"
  if [ -s "$tmp/err" ]; then
    echo "[stderr]" >>"$tmp/out"
    cat "$tmp/err" >>"$tmp/out"
  fi
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
    mkdir -p "$(dirname "$golden")"
    cp "$tmp/out" "$golden"
  elif ! diff -u "$golden" "$tmp/out" >"$tmp/diff" 2>&1; then
    echo "FAIL netpolc $* -> $golden differs (UPDATE_GOLDEN=1 to accept):"
    head -40 "$tmp/diff"
    fail=$((fail + 1))
    return
  fi
  case "$golden" in
    *.json | *.sarif)
      if command -v python3 >/dev/null && ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$golden" 2>"$tmp/err"; then
        echo "FAIL $golden is not valid JSON:"; cat "$tmp/err"; fail=$((fail + 1))
      fi ;;
  esac
}

for fixture in $(find fixtures/review fixtures/suggest -type f \( -name '*.yaml' -o -name '*.args' \) | sort); do
  rel=${fixture#fixtures/}
  base=golden/${rel%.*}
  while IFS= read -r h; do
    h=${h#\# review: }
    name=${h%%:*}
    args=${h#*: }
    args=${args//\{\}/$fixture}
    case "$name:$args" in  # a golden's extension says its format
      *.md:*--format\ markdown* | *.md:*--markdown* | *.json:*--format\ json* | *.sarif:*--format\ sarif* | *.mmd:*--format\ mermaid* | \
      *.txt:* | *.dot:* | yaml:suggest\ * | *.yaml:suggest\ *) ;;
      *) echo "FAIL $fixture: '$name' does not match the --format of: $args"; fail=$((fail + 1)); count=$((count + 1)); continue ;;
    esac
    # shellcheck disable=SC2086
    run_one "$base.$name" $args
  done < <(grep -E '^# review: ' "$fixture" || true)
done

# SVG through Graphviz, when it is installed.
if command -v dot >/dev/null; then
  count=$((count + 1))
  if ! "$NETPOLC" graph -s fixtures/clusters/seeds-lab.yaml -p fixtures/seeds/zero-trust/default-deny-egress.yaml \
      --format svg 2>&1 | grep -q '<svg'; then
    echo "FAIL graph --format svg gives no SVG"; fail=$((fail + 1))
  fi
else
  echo "review_golden: WARNING: Graphviz is not installed; graph --format svg is not checked" >&2
fi

echo "review_golden: $((count - fail)) passed, $fail failed"
[ "$fail" = 0 ]
