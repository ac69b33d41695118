#!/usr/bin/env bash
# pg_server.sh start|stop|url DIR [NAME] — a throwaway PostgreSQL server for the tests (issue 13
# item 6): initdb in a temporary directory, the server on 127.0.0.1 at a free TCP port with its
# unix socket in its data directory, run as an unprivileged user when invoked as root (initdb
# refuses root: the `postgres` user the Debian package creates, else `nobody`). DIR (e.g. the
# build folder's postgres/) keeps what the other commands need: the data directory's path, the
# port, the role's password (mode 0600; never printed).
#   start DIR       stops a server left in DIR by an earlier run, starts a fresh one.
#   url DIR NAME    creates a fresh database NAME and prints its postgresql:// URL (a test's
#                   own database, as test_store needs one).
#   run DIR NAME CMD [ARG…]  runs CMD with CDS_TEST_POSTGRES_URL naming a fresh database NAME
#                   (how ctest runs a test against the fixture's server).
#   stop DIR        stops the server (immediate) and removes its files.
# Exit 77 when PostgreSQL is not installed (ctest reports SKIP); any other failure exits 1.
set -uo pipefail
cmd=${1:-} dir=${2:-}
usage="usage: $0 start|stop DIR, url DIR NAME, run DIR NAME CMD [ARG...]"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "$usage" >&2; exit 2; }

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { bindir=$d; break; }
done
if [ -z "$bindir" ] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  bindir=$(dirname "$(command -v initdb)")
fi
if [ -z "$bindir" ]; then
  echo "SKIP: PostgreSQL server binaries (initdb, pg_ctl) not installed (Debian: postgresql)" >&2
  exit 77
fi

# as the server's user (root may not run initdb/postgres)
as_user=()
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then user=postgres; else user=nobody; fi
  as_user=(runuser -u "$user" --)
fi
run() { "${as_user[@]}" "$@"; }

stop() {
  [ -f "$dir/data_dir" ] || return 0
  local data; data=$(cat "$dir/data_dir")
  if [ -d "$data/db" ]; then
    run "$bindir/pg_ctl" -D "$data/db" -m immediate -w -t 30 stop >/dev/null 2>&1
  fi
  rm -rf "$data"
  rm -f "$dir/data_dir" "$dir/port" "$dir/password"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
  mkdir -p "$dir" || exit 1
  stop
  data=$(mktemp -d /tmp/cds-pg.XXXXXX) || exit 1
  echo "$data" >"$dir/data_dir"
  password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
  ( umask 077; echo "$password" >"$dir/password"; echo "$password" >"$data/pwfile" )
  [ "$user" = "$(id -un)" ] || chown -R "$user" "$data"
  if ! run "$bindir/initdb" -D "$data/db" -U cds --pwfile="$data/pwfile" -A scram-sha-256 \
    --auth-local=trust -E UTF8 --no-locale >"$data/initdb.log" 2>&1; then
    cat "$data/initdb.log" >&2; echo "FAIL: initdb" >&2; stop; exit 1
  fi
  rm -f "$data/pwfile"
  # a free port can be taken between choosing it and the server binding it: try a few
  for attempt in 1 2 3 4 5; do
    port=$(free_port) || exit 1
    # fsync off: a test server's data need not survive a machine crash, and it keeps CI fast
    if run "$bindir/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c full_page_writes=off \
-c synchronous_commit=off -c max_connections=60 -c shared_buffers=16MB" start >/dev/null 2>&1
    then
      echo "$port" >"$dir/port"
      echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" \
        "(data $data, user $user)"
      exit 0
    fi
    grep -q "could not bind\|already in use" "$data/server.log" 2>/dev/null || break
    echo "port $port taken; another (attempt $attempt)" >&2
  done
  cat "$data/server.log" >&2 2>/dev/null; echo "FAIL: the server did not start" >&2; stop; exit 1
  ;;
url|run)
  name=${3:-}
  [[ "$name" =~ ^[a-z_][a-z0-9_]{0,40}$ ]] || { echo "url: NAME must be [a-z_][a-z0-9_]*" >&2; exit 2; }
  [ -f "$dir/port" ] && [ -f "$dir/password" ] || {
    echo "FAIL: no PostgreSQL server started in $dir (ctest fixture postgres_start)" >&2; exit 1; }
  data=$(cat "$dir/data_dir") port=$(cat "$dir/port") password=$(cat "$dir/password")
  # over the unix socket in the data directory (trust; only root and the server's user reach it)
  PGOPTIONS='-c client_min_messages=warning' "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$data" -p "$port" -U cds -d postgres \
    -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null || {
    echo "FAIL: cannot create database $name" >&2; exit 1; }
  url="postgresql://cds:$password@127.0.0.1:$port/$name"
  [ "$cmd" = url ] && { echo "$url"; exit 0; }
  shift 3
  [ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
  CDS_TEST_POSTGRES_URL=$url exec "$@"
  ;;
stop)
  stop
  ;;
*)
  echo "$usage" >&2; exit 2
  ;;
esac
