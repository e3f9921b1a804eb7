#!/usr/bin/env bash
# `make test`: every test, against real services.
#   1. installs the emulators (scripts/services.sh) and finds or starts PostgreSQL
#      (scripts/postgres.sh), exporting TEST_DATABASE_URL, AZURITE_BIN and STRIPE_MOCK_BIN;
#      the Go tests start Azurite and stripe-mock themselves, only when they need them;
#   2. fails on unformatted Go files (gofmt -l) and on go vet findings;
#   3. runs go test -count=1 over ./... (or over the packages given), passing every argument
#      through: scripts/test.sh -run TestUp ./shared/migrate
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
TEST_DATABASE_URL=$(scripts/postgres.sh)
export TEST_DATABASE_URL
export AZURITE_BIN=$PWD/node_modules/.bin/azurite
export STRIPE_MOCK_BIN=$PWD/.cache/bin/stripe-mock

# Packages named in the arguments (./x, ./x/..., .), else the whole module.
pkgs=()
for arg in "$@"; do
  case $arg in
    . | ./* | ../*) pkgs+=("$arg") ;;
  esac
done
all=()
[[ ${#pkgs[@]} -eq 0 ]] && all=(./...)

# gofmt over tracked and untracked-but-not-ignored Go files that exist.
mapfile -t gofiles < <({ git ls-files -- '*.go'; git ls-files --others --exclude-standard -- '*.go'; } | sort -u)
existing=()
for f in "${gofiles[@]}"; do [[ -f $f ]] && existing+=("$f"); done
if [[ ${#existing[@]} -gt 0 ]]; then
  unformatted=$(gofmt -l "${existing[@]}")
  if [[ -n $unformatted ]]; then
    echo "test.sh: these files need gofmt -w:" >&2
    echo "$unformatted" >&2
    exit 1
  fi
fi

go vet "${pkgs[@]}" "${all[@]}"
go test -count=1 "$@" "${all[@]}"
