#!/usr/bin/env bash
# Installs the emulators the tests run, idempotently (a second run takes well under a second):
#   - Azurite (Blob/Table Storage emulator) with `npm ci` from package.json/package-lock.json
#     into ./node_modules (binary: node_modules/.bin/azurite);
#   - stripe-mock with `go install` into .cache/bin (binary: .cache/bin/stripe-mock).
# It does not start them: shared/emulatortest starts them per test package, when a test needs them.
set -euo pipefail
cd "$(dirname "$0")/.."

STRIPE_MOCK_VERSION=v0.203.0

log() { echo "services: $*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || { log "$1 not found: install $2"; exit 1; }
}

sha() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

install_azurite() {
  need node "Node.js and npm (apt-get install nodejs npm)"
  need npm "npm (apt-get install npm)"
  local stamp=node_modules/.mm-install-stamp want
  want="$(sha package.json package-lock.json) node $(node --version)"
  if [[ -x node_modules/.bin/azurite && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  log "installing Azurite (npm ci)"
  # npm prints its progress on stdout; keep stdout for the callers that read it.
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
}

install_stripe_mock() {
  need go "Go (https://go.dev/dl)"
  local bin=.cache/bin stamp=.cache/bin/stripe-mock.version
  if [[ -x $bin/stripe-mock && -f $stamp && "$(cat "$stamp")" == "$STRIPE_MOCK_VERSION" ]]; then
    return
  fi
  log "installing stripe-mock $STRIPE_MOCK_VERSION (go install)"
  mkdir -p "$bin"
  GOBIN="$PWD/$bin" go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" >&2
  echo "$STRIPE_MOCK_VERSION" >"$stamp"
}

install_azurite
install_stripe_mock
