#!/usr/bin/env bash
# Ensures a PostgreSQL server for the tests and prints ONE line on stdout: a superuser URL.
#
#   scripts/postgres.sh        print the URL, starting a server if needed
#   scripts/postgres.sh stop   stop the ephemeral cluster this script started (if any)
#
# Order: $TEST_DATABASE_URL when set; else the server on 127.0.0.1:5432 when it answers and
# lets user postgres in as superuser (trust auth, as on the development machines); else an
# ephemeral cluster from the machine's PostgreSQL binaries, under .cache/pg, on a free port,
# listening on 127.0.0.1 only, trust auth, fsync off (test data only). The cluster is reused
# while it runs (its postmaster.pid). initdb refuses root, so as root the cluster belongs to
# the postgres OS user. TEST_PG_EPHEMERAL=1 skips the server on 5432 (uses the ephemeral
# cluster even when that one answers). Diagnostics go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$PWD/.cache/pg
log() { echo "postgres.sh: $*" >&2; }
url() { echo "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

# bindir prints the directory of the newest PostgreSQL server binaries (initdb, pg_ctl).
bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -rn); do
    if [[ -x $d/initdb && -x $d/pg_ctl ]]; then echo "$d"; return 0; fi
  done
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0
  fi
  return 1
}

# tool prints the path of a PostgreSQL client program, from PATH or the server's bindir.
tool() {
  if command -v "$1" >/dev/null; then command -v "$1"; return 0; fi
  local d
  d=$(bindir) && [[ -x $d/$1 ]] && echo "$d/$1"
}

# as_owner runs a command as the cluster's OS user: postgres when we are root, else ourselves.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c '"$0" "$@"' "$@"; fi
  else
    "$@"
  fi
}

# superuser_ok tells whether $1 lets us in as a superuser (needs psql; without it, trust).
superuser_ok() {
  local psql
  psql=$(tool psql) || return 0
  [[ $("$psql" "$1" -XAtqc "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null) == t ]]
}

answers() { # host port
  local isready
  if isready=$(tool pg_isready); then
    "$isready" -q -h "$1" -p "$2" -t 3
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# cluster_dir prints where the ephemeral cluster lives: .cache/pg/cluster, or, when the
# postgres OS user cannot reach the work tree (e.g. a tree under /root), a directory in /tmp.
cluster_dir() {
  if [[ -f $ROOT/cluster-dir ]]; then cat "$ROOT/cluster-dir"; return; fi
  local dir=$ROOT/cluster
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    if ! as_owner test -w "$dir"; then
      dir=/tmp/minutes-pg-$(echo "$PWD" | cksum | cut -d' ' -f1)
      mkdir -p "$dir" && chown postgres: "$dir" && chmod 700 "$dir"
    fi
  fi
  echo "$dir" >"$ROOT/cluster-dir"
  echo "$dir"
}

stop_cluster() {
  [[ -f $ROOT/cluster-dir ]] || { log "no ephemeral cluster"; return 0; }
  local dir bin
  dir=$(cat "$ROOT/cluster-dir")
  if [[ -f $dir/data/postmaster.pid ]] && bin=$(bindir); then
    as_owner "$bin/pg_ctl" stop -D "$dir/data" -m fast -w >&2 && log "stopped the cluster in $dir"
  else
    log "the ephemeral cluster in $dir is not running"
  fi
}

start_cluster() {
  local bin dir data port
  if ! bin=$(bindir); then
    log "no PostgreSQL server binaries (initdb, pg_ctl) found: apt-get install postgresql"
    exit 1
  fi
  dir=$(cluster_dir)
  data=$dir/data
  # Reuse the running cluster.
  if [[ -f $data/postmaster.pid && -f $dir/port ]] && as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
    port=$(cat "$dir/port")
    if answers 127.0.0.1 "$port"; then url "$port"; return; fi
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    log "creating an ephemeral cluster in $data ($bin)"
    rm -rf "$data"
    as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; log "initdb failed"; exit 1; }
  fi
  port=55432
  while ! port_free "$port"; do port=$((port + 1)); done
  as_owner mkdir -p "$dir/socket"
  log "starting the ephemeral cluster on 127.0.0.1:$port"
  as_owner "$bin/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 9>&- ||
    { tail -n 20 "$dir/server.log" >&2 || true; log "the cluster did not start"; exit 1; }
  echo "$port" >"$dir/port.tmp" && mv "$dir/port.tmp" "$dir/port"
  url "$port"
}

mkdir -p "$ROOT"
if command -v flock >/dev/null; then
  exec 9>"$ROOT/lock"
  flock 9
fi

case "${1:-}" in
  stop) stop_cluster 9>&-; exit 0 ;;
  "") ;;
  *) log "usage: scripts/postgres.sh [stop]"; exit 2 ;;
esac

if [[ -n ${TEST_DATABASE_URL:-} ]]; then
  echo "$TEST_DATABASE_URL"
  exit 0
fi

local_url=$(url 5432)
if [[ ${TEST_PG_EPHEMERAL:-} != 1 ]]; then
  if answers 127.0.0.1 5432 && superuser_ok "$local_url"; then
    echo "$local_url"
    exit 0
  fi
  answers 127.0.0.1 5432 && log "the server on 127.0.0.1:5432 does not let user postgres in as superuser; using an ephemeral cluster"
fi

start_cluster
