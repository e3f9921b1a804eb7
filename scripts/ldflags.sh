#!/usr/bin/env bash
# Prints the -ldflags that stamp version and commit into the handler binary.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
echo "-s -w -X github.com/meetingminutes/minutes/shared/buildinfo.Version=${version} -X github.com/meetingminutes/minutes/shared/buildinfo.Commit=${commit}"
