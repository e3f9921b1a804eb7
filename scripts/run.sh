#!/usr/bin/env bash
# make run: the product locally on embedded defaults — standalone mode on http://localhost:8080,
# local PostgreSQL (started if none answers), migrations applied, blobs in .data/blobs,
# the offline minutes generator, the loopback-only dev sign-in.
set -euo pipefail
cd "$(dirname "$0")/.."

super=$(scripts/postgres.sh)
eval "$(go run ./scripts/devdb "$super")"
export DATABASE_URL MIGRATIONS_DATABASE_URL

mkdir -p bin .data/blobs .data/mail
CGO_ENABLED=0 go build -trimpath -ldflags "$(scripts/ldflags.sh)" -o bin/handler ./handler
bin/handler migrate up

export PORT=${PORT:-8080}
export LISTEN_HOST=${LISTEN_HOST:-127.0.0.1}
export BLOB_DIR=${BLOB_DIR:-.data/blobs}
export MAIL_DIR=${MAIL_DIR:-.data/mail}
export DEV_AUTH=${DEV_AUTH:-1}
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://localhost:${PORT}}
echo "Meeting Minutes on http://localhost:${PORT}  (health: /api/health; Ctrl-C stops)" >&2
exec bin/handler standalone
