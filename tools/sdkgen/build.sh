#!/usr/bin/env bash
# Builds crmstages-sdkgen into .tools/bin once per change of its sources, and prints its path.
# Go's module and build caches are the project's user cache (as for the CLI), so a second checkout
# or CI on the same machine compiles almost nothing. Safe to run from several processes at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/tools/sdkgen"
BIN="$ROOT/.tools/bin/crmstages-sdkgen"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-stages"

mkdir -p "$(dirname "$BIN")"
exec 9>"$BIN.lock"
flock 9
sources="$(cat "$SRC"/*.go "$SRC/go.mod" "$SRC/go.sum" | sha256sum | cut -d' ' -f1)"
if [[ -x "$BIN" && "$(cat "$BIN.sources" 2>/dev/null)" == "$sources" ]]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "Go is needed to build crmstages-sdkgen" >&2; exit 1; }
echo "==> Building crmstages-sdkgen (pulumi/pkg/v3 codegen; caches in $CACHE/go)" >&2
(
  cd "$SRC"
  export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-mod=mod
  go build -o "$BIN" .
)
echo "$sources" > "$BIN.sources"
echo "$BIN"
