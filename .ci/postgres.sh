#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests of tegata's PostgreSQL store.
#
#   .ci/postgres.sh install   apt-get install postgresql when no initdb is found (Debian)
#   .ci/postgres.sh start     initdb in a temporary folder (fsync off, trust auth), start it on
#                             127.0.0.1 on a free port; prints the URL on stdout, e.g.
#                             postgres://postgres@127.0.0.1:54321/postgres
#   .ci/postgres.sh stop      stops the cluster started last and removes its folder
#   .ci/postgres.sh pause     stops that cluster but keeps it (a database outage, for tests)
#   .ci/postgres.sh resume    starts it again on the same port
#
# TEGATA_PG_STATE names the file that remembers the cluster's folder between start and stop
# (default: /tmp/tegata-postgres.state). As root, the server runs as the `postgres` user (initdb
# refuses root). Only for tests: no password, no durability.
set -euo pipefail

state="${TEGATA_PG_STATE:-/tmp/tegata-postgres.state}"
log() { printf '%s\n' "$*" >&2; }

# The folder of initdb/pg_ctl: PATH first, then Debian's /usr/lib/postgresql/<newest>/bin.
bindir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    printf '%s\n' "$dir"
    return 0
  fi
  return 1
}

install() {
  if bindir >/dev/null; then
    log "postgresql: $(bindir) (already installed)"
    return 0
  fi
  log "postgresql: not found, installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  # No default cluster: the tests make their own.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/tegata-ci.conf
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  bindir >/dev/null || { log "postgresql: installed, but no initdb found"; exit 1; }
  log "postgresql: $(bindir)"
}

# A port nobody listens on (checked with bash's /dev/tcp).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  log "postgres.sh: no free port found"
  return 1
}

start() {
  local bin dir run_as port
  bin=$(bindir) || { log "postgres.sh: no PostgreSQL found (run: $0 install)"; exit 1; }
  dir=$(mktemp -d "${TMPDIR:-/tmp}/tegata-pg.XXXXXX")
  chmod 755 "$dir"
  run_as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres "$dir"
    run_as=(runuser -u postgres --)
  fi
  # C.UTF-8 where the system has it; code-unit order must not depend on it (the schema's keys
  # are COLLATE "C").
  if ! "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1; then
    rm -rf "$dir/data"
    "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  for attempt in 1 2 3; do
    port=$(free_port)
    if "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null; then
      printf '%s\n%s\n%s\n' "$dir" "$bin" "$port" >"$state"
      log "postgresql: cluster in $dir on 127.0.0.1:$port"
      printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$port"
      return 0
    fi
    log "postgres.sh: start on port $port failed (attempt $attempt)"
    tail -n 5 "$dir/server.log" >&2 || true
  done
  exit 1
}

stop() {
  [ -f "$state" ] || { log "postgres.sh: nothing to stop"; return 0; }
  local dir bin run_as
  dir=$(sed -n 1p "$state")
  bin=$(sed -n 2p "$state")
  run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  if [ -d "$dir/data" ]; then
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir" "$state"
  log "postgresql: cluster stopped and removed"
}

# The cluster started last: "$dir" "$bin" "$port" and the command prefix, from the state file.
started() {
  [ -f "$state" ] || { log "postgres.sh: no cluster started"; exit 1; }
  dir=$(sed -n 1p "$state")
  bin=$(sed -n 2p "$state")
  port=$(sed -n 3p "$state")
  run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
}

pause() {
  local dir bin port run_as
  started
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  log "postgresql: cluster on 127.0.0.1:$port paused"
}

resume() {
  local dir bin port run_as
  started
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  log "postgresql: cluster on 127.0.0.1:$port resumed"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  pause) pause ;;
  resume) resume ;;
  *)
    log "usage: $0 install|start|stop|pause|resume"
    exit 2
    ;;
esac
