#!/usr/bin/env bash
# Installs everything the project needs into ignored folders of the checkout:
#   .venv/        Python virtualenv with pinned packages (constraints.txt) and this package, editable,
#                 installed by uv (pinned version, kept in the user cache folder below)
#   .tools/uv     a link to that uv (the wheel test installs with it too)
#   .tools/bin/   pulumi CLI (pinned version, built from Go modules unless one is on PATH, its
#                 word lists loaded on first use: build_pulumi_cli), the Python language host,
#                 and the dynamic provider plugin script
# Go's module and build caches live outside the clone (a user cache folder), so a second checkout
# and CI on the same machine rebuild nothing. Safe to run again: finished steps are skipped.
set -euo pipefail

PULUMI_VERSION="v3.259.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
BIN="$ROOT/.tools/bin"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-stages"
PYTHON="${PYTHON:-python3}"
UV_VERSION="0.13.9"
# The language host module has no tags; this is the pseudo-version of the v3.259.0 commit.
LANGHOST_MODULE="github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
LANGHOST_VERSION="v3.0.0-20260819165155-0ac56e876614"
# Pulumi YAML's language host, for the provider package's YAML programs (examples/yaml/).
YAML_MODULE="github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
YAML_VERSION="v1.25.0"

say() { printf '==> %s\n' "$*"; }

# uv installs the pinned packages: it resolves them in parallel and links files from its cache,
# so a second checkout installs in seconds where pip took about a minute. uv itself is installed
# once per machine and version, with pip (so pip's settings reach the index), and kept beside the
# Go builds.
UV=""
find_uv() {  # sets UV to uv $UV_VERSION, installing it on first use
  UV="$CACHE/uv/uv-$UV_VERSION"
  if [[ -x "$UV" ]]; then return; fi
  say "Installing uv $UV_VERSION (once per machine) as $UV"
  local scratch
  scratch="$(mktemp -d)"
  "$PYTHON" -m venv "$scratch/venv"
  "$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  keep_binary "$scratch/venv/bin/uv" "$UV"  # a single executable: the venv is not needed
  rm -rf "$scratch"
}

# uv reads none of pip's settings: those set in the environment are passed on (unless uv's own
# are set). A pip.conf is not read; where uv cannot reach the index without it, pip installs.
pass_pip_settings_to_uv() {
  if [[ -n "${PIP_INDEX_URL:-}" ]]; then export UV_INDEX_URL="${UV_INDEX_URL:-$PIP_INDEX_URL}"; fi
  if [[ -n "${PIP_EXTRA_INDEX_URL:-}" ]]; then
    export UV_EXTRA_INDEX_URL="${UV_EXTRA_INDEX_URL:-$PIP_EXTRA_INDEX_URL}"
  fi
  if [[ -n "${PIP_FIND_LINKS:-}" ]]; then  # pip's are space-separated, uv's comma-separated
    local links
    read -r -a links <<< "$PIP_FIND_LINKS"
    export UV_FIND_LINKS="${UV_FIND_LINKS:-$(IFS=,; echo "${links[*]}")}"
  fi
  if [[ -n "${PIP_CERT:-}" ]]; then export SSL_CERT_FILE="${SSL_CERT_FILE:-$PIP_CERT}"; fi
  export UV_PYTHON_DOWNLOADS=never  # the interpreter named by PYTHON, never one uv fetches
}

# The wheel test installs with the same uv: linked where it looks (not in bin/, so never on a
# make target's PATH before the user's own uv). Without it, that test installs with pip.
link_uv() {
  if [[ -x "$CACHE/uv/uv-$UV_VERSION" ]]; then
    mkdir -p "$ROOT/.tools"
    ln -sfn "$CACHE/uv/uv-$UV_VERSION" "$ROOT/.tools/uv"
  fi
}

setup_python() {
  local stamp="$VENV/.installed"
  if [[ -f "$stamp" && "$stamp" -nt "$ROOT/constraints.txt" && "$stamp" -nt "$ROOT/pyproject.toml" ]]; then
    say "Python virtualenv is up to date ($VENV)"
    link_uv
    return
  fi
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "Python 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1; }
  find_uv
  link_uv
  pass_pip_settings_to_uv
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "Creating the Python virtualenv in $VENV (with pip, which the wheel tests use)"
    "$UV" venv --quiet --clear --seed --python "$(command -v "$PYTHON")" "$VENV" \
      || "$PYTHON" -m venv --clear "$VENV"
  fi
  say "Installing pinned Python packages (constraints.txt)"
  # Byte-compiled here: where nothing writes bytecode on import (PYTHONDONTWRITEBYTECODE), every
  # process the suite starts would compile pydantic and the SDK from source again.
  if ! "$UV" pip install --quiet --python "$VENV/bin/python" --compile-bytecode \
      -c "$ROOT/constraints.txt" -e "$ROOT[dev]"; then
    say "uv could not install them (above); installing with pip, which reads pip.conf"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -c "$ROOT/constraints.txt" -e "$ROOT[dev]"
  fi
  touch "$stamp"
}

# Every provider process the engine starts imports the package; with PYTHONDONTWRITEBYTECODE set
# (or a read-only checkout) each would compile it from source again. Up-to-date files are skipped.
compile_package() {
  "$VENV/bin/python" -m compileall -q "$ROOT/provider/pulumi_stages" >/dev/null
}

pulumi_version_of() { "$1" version 2>/dev/null || true; }

# Go caches compiled packages but links every binary again (the CLI: ~14 s on two cores), so a
# binary built here is kept beside Go's caches under a key of everything it was built from, and a
# new checkout on the same machine copies it. Prints the kept file's path for those inputs.
kept_binary() {
  local name="$1"; shift
  local key
  key="$( { printf '%s\n' "$@"; go version; go env GOOS GOARCH; } | sha256sum | cut -c1-16)"
  printf '%s/go/binaries/%s-%s' "$CACHE" "$name" "$key"
}

keep_binary() {  # keep_binary BUILT KEPT: a copy put in place whole, so no reader sees half
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.$$" && mv -f "$2.$$" "$2"
}

# Every change to a binary's inputs keeps one more build (the CLI's is ~160 MB), so only the two
# newest of a name stay: a machine switching between two branches still links neither again (a
# third set of inputs in turn links again).
prune_kept() {  # prune_kept KEPT: of the builds kept under KEPT's name, remove all but two newest
  local old  # housekeeping: a cache it cannot write to never fails the setup
  while IFS= read -r old; do
    rm -f -- "$old" 2>/dev/null || true
  done < <(QUOTING_STYLE=literal ls -1td -- "${1%-*}"-???????????????? 2>/dev/null | tail -n +3)
}

# What the CLI is built from: its modules, and the edit that makes zxcvbn-go's word lists load on
# first use (tools/pulumi-cli/lazy_wordlists.py: 0.22 CPU-s less at every CLI start).
CLI_INPUTS=(go.mod go.sum tools.go lazy_wordlists.py)

setup_pulumi_cli() {
  mkdir -p "$BIN"
  local inputs
  inputs="$(cd "$ROOT/tools/pulumi-cli" && cat "${CLI_INPUTS[@]}"; declare -f build_pulumi_cli)"
  local stamp="$BIN/pulumi.built-from"  # a hash of the inputs, so a change to them builds again
  if [[ "$(pulumi_version_of "$BIN/pulumi")" == "$PULUMI_VERSION" && -f "$stamp" \
        && "$(cat "$stamp")" == "$(sha256sum <<< "$inputs")" ]]; then
    say "pulumi $PULUMI_VERSION is already built ($BIN/pulumi)"
    return
  fi
  rm -f "$stamp"
  local found
  found="$(PATH="${PATH//$BIN:/}" command -v pulumi || true)"
  if [[ -n "$found" && "$(pulumi_version_of "$found")" == "$PULUMI_VERSION" ]]; then
    say "Using pulumi $PULUMI_VERSION found on PATH ($found)"
    ln -sf "$found" "$BIN/pulumi"
    return
  fi
  command -v go >/dev/null || { echo "Go is needed to build the pulumi CLI" >&2; exit 1; }
  rm -f "$BIN/pulumi"  # it may link to a pulumi once found on PATH: cp and go build write through
  local kept
  kept="$(kept_binary pulumi "$PULUMI_VERSION" "$inputs")"
  if [[ -x "$kept" && "$(pulumi_version_of "$kept")" == "$PULUMI_VERSION" ]]; then
    touch "$kept" 2>/dev/null || true  # in use: the newest of its name, so no prune takes it
    cp "$kept" "$BIN/pulumi"
    say "pulumi $PULUMI_VERSION: the build this machine made from the same modules ($kept)"
  else
    build_pulumi_cli
    keep_binary "$BIN/pulumi" "$kept"
    say "Built $("$BIN/pulumi" version)"
  fi
  prune_kept "$kept"
  sha256sum <<< "$inputs" > "$stamp"
}

# Builds in a copy of tools/pulumi-cli whose go.mod also replaces zxcvbn-go's two modules with
# copies that load their word lists on first use (Go refuses `-overlay` on the module cache).
build_pulumi_cli() {
  say "Building pulumi $PULUMI_VERSION from Go modules (first time: several minutes; caches in $CACHE/go)"
  local build
  mkdir -p "$CACHE/go"
  build="$(mktemp -d "$CACHE/go/pulumi-cli-build.XXXXXX")"
  (
    trap 'rm -rf "$build"' EXIT
    export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-mod=mod GOWORK=off
    cd "$ROOT/tools/pulumi-cli"
    cp "${CLI_INPUTS[@]}" "$build/"
    cd "$build"
    local lazy=(github.com/nbutton23/zxcvbn-go github.com/ccojocar/zxcvbn-go) found replaces
    go mod download "${lazy[@]}"
    found="$(go list -m -f '{{.Path}}={{.Dir}}' "${lazy[@]}")"
    mapfile -t found <<< "$found"
    replaces="$("$PYTHON" lazy_wordlists.py "$build/lazy" "${found[@]}")"
    mapfile -t replaces <<< "$replaces"
    go mod edit "${replaces[@]}"
    go build -o "$BIN/pulumi" \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
}

setup_language_host() {
  local host="$BIN/pulumi-language-python"
  if [[ -x "$host" && ! -f "$host.stand-in" ]]; then
    say "pulumi-language-python is already built"
    return
  fi
  local probe
  probe="$(mktemp -d)"
  if (cd "$probe" && GOMODCACHE="$CACHE/go/mod" GOFLAGS=-mod=mod \
        go list -m "$LANGHOST_MODULE@$LANGHOST_VERSION" >/dev/null 2>&1); then
    say "Building pulumi-language-python ($LANGHOST_VERSION)"
    (
      cd "$probe"
      export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-mod=mod
      go mod init langhost >/dev/null 2>&1
      cp "$ROOT/tools/pulumi-cli/go.mod" go.mod  # same module requirements and replace lines
      go mod edit -module langhost
      go get "$LANGHOST_MODULE@$LANGHOST_VERSION"
      go build -o "$host" "$LANGHOST_MODULE"
    )
    rm -f "$host.stand-in"
  else
    say "pulumi-language-python $LANGHOST_VERSION is not served by the Go module proxy;"
    say "installing the project's stand-in (tools/langhost/pulumi_language_python.py)"
    write_script "$host" "\"$VENV/bin/python\" -u \"$ROOT/tools/langhost/pulumi_language_python.py\""
    touch "$host.stand-in"
  fi
  rm -rf "$probe"
}

setup_language_yaml() {
  # Built with the module's own go.mod (go install module@version), as its release was built.
  local host="$BIN/pulumi-language-yaml"
  if [[ -x "$host" && -f "$host.version" && "$(cat "$host.version")" == "$YAML_VERSION" ]]; then
    say "pulumi-language-yaml $YAML_VERSION is already built"
    return
  fi
  command -v go >/dev/null || { echo "Go is needed to build pulumi-language-yaml" >&2; exit 1; }
  local kept
  kept="$(kept_binary pulumi-language-yaml "$YAML_MODULE@$YAML_VERSION")"
  if [[ -x "$kept" ]]; then
    touch "$kept" 2>/dev/null || true
    cp "$kept" "$host"
    say "pulumi-language-yaml $YAML_VERSION: the build this machine made before ($kept)"
  else
    say "Building pulumi-language-yaml $YAML_VERSION from Go modules (first time: several minutes)"
    (
      export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-mod=mod GOBIN="$BIN"
      cd "$ROOT" && go install "$YAML_MODULE@$YAML_VERSION"
    )
    keep_binary "$host" "$kept"
  fi
  prune_kept "$kept"
  echo "$YAML_VERSION" > "$host.version"
}

START_PYTHON='# With PULUMI_STAGES_FORKSERVER set (the test suite), tools/forkserver.py starts this Python
# command from a process that has already imported the libraries; otherwise it starts as usual.
start() {
  if [ -n "${PULUMI_STAGES_FORKSERVER:-}" ]; then
    exec "'"$VENV"'/bin/python" -S "'"$ROOT"'/tools/forkserver.py" run "$@"
  fi
  exec "$@"
}'

write_script() {
  rm -f "$1"  # never write through an older symlink
  printf '#!/bin/sh\n%s\nstart %s "$@"\n' "$START_PYTHON" "$2" > "$1"
  chmod +x "$1"
}

setup_dynamic_provider_plugin() {
  # As upstream's script does: the engine passes Pulumi.yaml's runtime options to plugins as
  # PULUMI_RUNTIME_VIRTUALENV / PULUMI_RUNTIME_TOOLCHAIN (relative paths are from the project),
  # so a project's own virtualenv runs its providers; without one, this checkout's.
  say "Writing pulumi-resource-pulumi-python (the project's virtualenv if it names one, else $VENV/bin/python)"
  cat > "$BIN/pulumi-resource-pulumi-python" <<SCRIPT
#!/bin/sh
$START_PYTHON
venv="\${PULUMI_RUNTIME_VIRTUALENV:-}"
if [ -z "\$venv" ] && [ "\${PULUMI_RUNTIME_TOOLCHAIN:-}" = uv ]; then venv=.venv; fi
if [ -n "\$venv" ]; then
  if [ ! -x "\$venv/bin/python" ]; then
    echo "pulumi-resource-pulumi-python: the project's virtualenv '\$venv' has no bin/python; create it (python3 -m venv \$venv && \$venv/bin/pip install -r requirements.txt)" >&2
    exit 1
  fi
  start "\$venv/bin/python" -u -m pulumi.dynamic "\$@"
fi
start "$VENV/bin/python" -u -m pulumi.dynamic "\$@"
SCRIPT
  chmod +x "$BIN/pulumi-resource-pulumi-python"
}

setup_package_provider_plugin() {
  # The provider package door (crmstages): the wheel's console script, run by the engine from PATH.
  say "Writing pulumi-resource-crmstages (the provider package's console script, from $VENV)"
  write_script "$BIN/pulumi-resource-crmstages" "\"$VENV/bin/python\" -u \"$VENV/bin/pulumi-resource-crmstages\""
}

setup_python
compile_package
setup_pulumi_cli
setup_language_host
setup_language_yaml
setup_dynamic_provider_plugin
setup_package_provider_plugin
say "Toolchain ready: put $BIN first on PATH (the Makefile does)"
