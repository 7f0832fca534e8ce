#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   scripts/postgres.sh start DIR PORT   -> prints ONE line: the Npgsql connection string
#   scripts/postgres.sh stop DIR         -> stops the server (fast) and removes DIR
#
# Installs Debian's `postgresql` package when no initdb is present. The server runs as the
# `postgres` OS user (it refuses to run as root), listens on 127.0.0.1:PORT only, trusts
# local TCP connections, runs with fsync off, and has a database `ringside`.
# All diagnostics go to stderr; stdout carries only the connection string.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

pg_bindir() {
  local d
  # newest installed major version first
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

ensure_installed() {
  if pg_bindir >/dev/null; then return 0; fi
  log "initdb not found; installing Debian package 'postgresql'"
  "${SUDO[@]}" apt-get update >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  pg_bindir >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"
}

# run a command as the postgres OS user (directly if we already are postgres)
as_pg() {
  if [ "$(id -un)" = "postgres" ]; then "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su -s /bin/sh postgres -c "$(printf '%q ' "$@")"; fi
  else sudo -u postgres -- "$@"
  fi
}

abs_path() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

# true when PID is a live (not zombie) process
alive() {
  local pid=$1 state
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || return 1
  state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != "Z" ] && [ "$state" != "X" ]
}

stop_cluster() {
  local dir=$1 bin pid=""
  if [ -f "$dir/data/postmaster.pid" ]; then
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  fi
  # only signal the postmaster recorded in DIR, and only if it is really running
  if alive "$pid" && bin=$(pg_bindir); then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 \
      || as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >&2 \
      || { log "pg_ctl stop failed; sending SIGKILL to postmaster $pid"; kill -9 "$pid" 2>/dev/null || true; sleep 1; }
  fi
  if [ -e "$dir" ]; then "${SUDO[@]}" rm -rf -- "$dir"; fi
}

cmd_start() {
  [ $# -eq 2 ] || die "usage: $0 start DIR PORT"
  local dir port bin
  dir=$(abs_path "$1"); port=$2
  case "$port" in ''|*[!0-9]*) die "PORT must be a number, got '$port'" ;; esac
  [ "$dir" != "/" ] || die "refusing DIR=/"

  ensure_installed
  bin=$(pg_bindir)
  id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (the postgresql package creates it)"

  # a stale cluster from an earlier run: stop it if it is still up, then start from scratch
  if [ -e "$dir" ]; then log "removing stale $dir"; stop_cluster "$dir"; fi

  "${SUDO[@]}" mkdir -p "$dir"
  "${SUDO[@]}" chown postgres: "$dir"
  "${SUDO[@]}" chmod 700 "$dir"
  # the postgres user must be able to reach DIR through its parents
  local p=$dir
  while p=$(dirname "$p"); [ "$p" != "/" ]; do
    if ! as_pg test -x "$p"; then "${SUDO[@]}" chmod o+x "$p"; fi
  done

  as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  # TCP on 127.0.0.1 only, no unix socket in a system directory, trust for 127.0.0.1 only
  cat >"$dir/data/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''   # TCP only; avoids the ~107-char socket path limit for deep DIRs
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  "${SUDO[@]}" chown postgres: "$dir/data/pg_hba.conf"

  if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2; then
    cat "$dir/server.log" >&2 || true
    die "server did not start on 127.0.0.1:$port"
  fi

  as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt \
    -c "CREATE DATABASE ringside" >&2 || die "could not create database ringside"

  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=ringside"
}

cmd_stop() {
  [ $# -eq 1 ] || die "usage: $0 stop DIR"
  local dir
  dir=$(abs_path "$1")
  [ "$dir" != "/" ] || die "refusing DIR=/"
  stop_cluster "$dir"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
