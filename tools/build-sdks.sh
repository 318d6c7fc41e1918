#!/usr/bin/env bash
# Writes the crmstages SDKs into sdk/<lang>/ (TypeScript: nodejs, Go: go, Python: python) from the
# provider package's schema, or from the schema file given as the first argument.
# The SDKs are build output (ignored by git): they follow from the schema, which follows from the
# adapters, so a new CRM changes them without touching any file (docs/sdks.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/sdk"
sdkgen="$(bash "$ROOT/tools/sdkgen/build.sh")"

schema="${1:-}"
if [[ -z "$schema" ]]; then
  schema="$ROOT/.tools/crmstages-schema.json"
  "$ROOT/.venv/bin/python" -m pulumi_stages.package.schema > "$schema.tmp"
  mv "$schema.tmp" "$schema"
fi
"$sdkgen" -schema "$schema" -out "$OUT" -langs nodejs,go,python
echo "==> SDKs written to $OUT (C# is not generated here: see docs/sdks.md)"
