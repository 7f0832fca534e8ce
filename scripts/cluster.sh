#!/usr/bin/env bash
# A local Ringside cluster on this machine (docs/SERVER.md, Cluster).
#
#   scripts/cluster.sh up [--dir DIR] [--pg-port N] [--port N] [--api N] [--workers N]
#       a throwaway PostgreSQL (scripts/postgres.sh), N api nodes (1) on http://127.0.0.1:PORT.. and N workers (2) on
#       the ports after them, each with its own data folder DIR/NODE and log DIR/NODE.log; prints every api node's URL,
#       the first one's last
#   scripts/cluster.sh down [--dir DIR]
#       stops the nodes and PostgreSQL and removes DIR
#
# Every Ringside__* variable in the environment reaches every node (e.g. Ringside__Training__Threads=1).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "cluster.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

command="${1:-}"; shift || true
dir=/tmp/ringside-cluster pg_port=55433 port=8101 apis=1 workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --pg-port) pg_port="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --api) apis="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    *) die "unknown option $1 (see the top of $0)" ;;
  esac
done
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
[[ "$apis" =~ ^[1-9][0-9]*$ ]] || die "--api needs a number of api nodes (1 or more)"

wait_healthy() { # NAME URL
  local deadline=$((SECONDS + 180))
  until curl -fsS "$2/health" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$1 did not answer on $2/health within 180 s (log: $dir/$1.log)"
    kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null || die "$1 exited (log: $dir/$1.log): $(tail -n 5 "$dir/$1.log")"
    sleep 0.5
  done
}

start_node() { # NAME ROLE PORT
  mkdir -p "$dir/$1"
  Ringside__Database__Provider=postgres Ringside__Database__ConnectionString="$connection" \
    dotnet "$root/artifacts/cli/ringside.dll" serve --role "$2" --node "$1" --urls "http://127.0.0.1:$3" --data "$dir/$1" \
    >"$dir/$1.log" 2>&1 &
  echo $! >"$dir/$1.pid"
  wait_healthy "$1" "http://127.0.0.1:$3"
  log "$1 ($2) is up on http://127.0.0.1:$3"
}

stop_nodes() {
  local f pid
  for f in "$dir"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

case "$command" in
  up)
    [ ! -e "$dir/postgres.url" ] || die "a cluster already runs in $dir: scripts/cluster.sh down --dir $dir first"
    mkdir -p "$dir"
    "$root/ringside" --help >/dev/null # builds the CLI once, before any node starts
    connection=$("$root/scripts/postgres.sh" start "$dir/pg" "$pg_port")
    echo "$connection" >"$dir/postgres.url"
    # The first api node first: it creates the schema (ours and Quartz's) before the other nodes connect.
    start_node api api "$port"
    for i in $(seq 2 "$apis"); do start_node "api-$i" api $((port + i - 1)); done
    for i in $(seq 1 "$workers"); do start_node "worker-$i" worker $((port + apis + i - 1)); done
    for i in $(seq 2 "$apis"); do echo "http://127.0.0.1:$((port + i - 1))"; done
    echo "http://127.0.0.1:$port" # last, as scripts that read one URL expect
    ;;
  down)
    stop_nodes
    if [ -d "$dir/pg" ]; then "$root/scripts/postgres.sh" stop "$dir/pg" >&2 || true; fi
    rm -rf "$dir"
    log "stopped"
    ;;
  *) die "usage: scripts/cluster.sh up|down [--dir DIR] [--pg-port N] [--port N] [--api N] [--workers N]" ;;
esac
