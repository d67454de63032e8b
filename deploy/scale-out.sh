#!/usr/bin/env bash
# Scale-out check: 3 release shop instances with one MOCHI_KEY on one
# PostgreSQL database, behind nginx (deploy/nginx.conf), under a bounded
# load (deploy/load.py, python3 stdlib) that checks and prints figures.
#
#   deploy/scale-out.sh                 # from the repository root
#   LOAD_SECONDS=30 INSTANCES=3 deploy/scale-out.sh
#   PG_TESTS=1 deploy/scale-out.sh      # first runs tests/shop.rs on it too
#
# Needs Debian's postgresql (15) and nginx packages and python3:
#   apt-get install postgresql nginx-light python3
# Everything runs on 127.0.0.1 in a temporary directory: a throwaway
# PostgreSQL cluster (trust auth, loopback only) and an nginx with its own
# cache. As root (CI), PostgreSQL and nginx run as `nobody`. KEEP=1 keeps
# the directory (logs, nginx cache) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

INSTANCES=${INSTANCES:-3}
LOAD_SECONDS=${LOAD_SECONDS:-45}   # load.py caps it at 120
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

say() { printf '\n== %s\n' "$*"; }
die() { printf 'scale-out: %s\n' "$*" >&2; exit 1; }

[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL in $PG_BIN (apt-get install postgresql, or set PG_BIN)"
[ -x "$NGINX" ] || die "no nginx (apt-get install nginx-light, or set NGINX)"
command -v python3 >/dev/null || die "no python3"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL, what: polls for up to 30 s
  for _ in $(seq 150); do
    python3 - "$1" <<'EOF' && return 0
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1).read()
except Exception:
    sys.exit(1)
EOF
    sleep 0.2
  done
  die "$2 did not answer at $1"
}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mochi-scale-out.XXXXXX")
mkdir -p "$RUN/logs" "$RUN/tmp"
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root. setpriv execs (no extra process),
  # so the pids below are the servers' own.
  AS_USER=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
  chown -R nobody "$RUN"
  chmod 755 "$RUN"
else
  AS_USER=()
fi

PIDS=()
cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ -f "$RUN/pg/PG_VERSION" ] && "${AS_USER[@]}" "$PG_BIN/pg_ctl" -D "$RUN/pg" -m fast -w stop >/dev/null 2>&1
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "scale-out: logs kept in $RUN" >&2
  else
    rm -rf "$RUN"
  fi
  exit $rc
}
trap cleanup EXIT INT TERM

say "building example-shop (release)"
nice -n 10 cargo build --release -p example-shop ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"}
SHOP="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/example-shop"

say "PostgreSQL: a throwaway cluster"
PG_PORT=$(free_port)
"${AS_USER[@]}" "$PG_BIN/initdb" -D "$RUN/pg" -U shop --auth=trust --no-sync >"$RUN/logs/initdb.log" 2>&1 \
  || { cat "$RUN/logs/initdb.log"; die "initdb failed"; }
"${AS_USER[@]}" "$PG_BIN/pg_ctl" -D "$RUN/pg" -l "$RUN/logs/postgres.log" -w \
  -o "-p $PG_PORT -k $RUN -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
  || { cat "$RUN/logs/postgres.log"; die "PostgreSQL did not start"; }
"${AS_USER[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U shop shop
export DATABASE_URL="postgres://shop@127.0.0.1:$PG_PORT/shop"
echo "$DATABASE_URL"

if [ "${PG_TESTS:-0}" = 1 ]; then
  say "tests/shop.rs on this PostgreSQL too"
  "${AS_USER[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U shop shop_tests
  MOCHI_TEST_DATABASE_URL="postgres://shop@127.0.0.1:$PG_PORT/shop_tests" \
    nice -n 10 cargo test -p mochi-tests --test shop ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"}
fi

# One key for every instance: a page rendered (and cached) by one instance
# names islands that any other must verify.
key() { python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))'; }
MOCHI_KEY=$(key)

start_shop() { # index, port, key, fallback keys: starts (or restarts) one instance
  MOCHI_KEY="$3" MOCHI_KEY_FALLBACKS="$4" PORT="$2" RUST_LOG=warn \
    "$SHOP" >>"$RUN/logs/shop-$1.log" 2>&1 &
  SHOP_PID[$1]=$!
  PIDS+=("$!")
}

say "$INSTANCES shop instances, started at once on one database"
SHOP_PORT=(); SHOP_PID=(); UPSTREAMS=""; BASES=""
for i in $(seq 0 $((INSTANCES - 1))); do
  SHOP_PORT[$i]=$(free_port)
  UPSTREAMS+="server 127.0.0.1:${SHOP_PORT[$i]};"$'\n        '
  BASES+="${BASES:+,}http://127.0.0.1:${SHOP_PORT[$i]}"
done
for i in $(seq 0 $((INSTANCES - 1))); do start_shop "$i" "${SHOP_PORT[$i]}" "$MOCHI_KEY" ""; done
for i in $(seq 0 $((INSTANCES - 1))); do
  wait_http "http://127.0.0.1:${SHOP_PORT[$i]}/" "shop instance $i (see $RUN/logs/shop-$i.log)"
done
echo "$BASES"

# HOOK(key-rotation): a rolling key rotation goes here, once the load runs
# in the background. Per instance, in turn:
#   kill "${SHOP_PID[$i]}"; wait "${SHOP_PID[$i]}"
#   start_shop "$i" "${SHOP_PORT[$i]}" "$NEW_KEY" "$MOCHI_KEY"
#   wait_http "http://127.0.0.1:${SHOP_PORT[$i]}/" "instance $i"
# then load.py must still see no failed island (pages cached under the old
# key verify through MOCHI_KEY_FALLBACKS) and, after max-age (60 s), drop
# the fallback the same way.

say "nginx in front, with a shared cache"
NGINX_PORT=$(free_port)
python3 -c '
import sys
template, run, listen, upstreams = sys.argv[1:]
for line in open(template):
    if not line.lstrip().startswith("#"):  # the comments name the placeholders
        for k, v in (("@RUN_DIR@", run), ("@LISTEN@", listen), ("@UPSTREAMS@", upstreams.strip())):
            line = line.replace(k, v)
    sys.stdout.write(line)
' deploy/nginx.conf "$RUN" "127.0.0.1:$NGINX_PORT" "$UPSTREAMS" >"$RUN/nginx.conf"
chmod 644 "$RUN/nginx.conf"
"${AS_USER[@]}" "$NGINX" -t -q -p "$RUN" -c "$RUN/nginx.conf" -e stderr
"${AS_USER[@]}" "$NGINX" -p "$RUN" -c "$RUN/nginx.conf" -e stderr 2>>"$RUN/logs/error.log" &
PIDS+=("$!")
wait_http "http://127.0.0.1:$NGINX_PORT/" "nginx (see $RUN/logs/error.log)"
echo "http://127.0.0.1:$NGINX_PORT/"

say "load"
status=0
python3 deploy/load.py --nginx "http://127.0.0.1:$NGINX_PORT" --instances "$BASES" \
  --seconds "$LOAD_SECONDS" --access-log "$RUN/logs/access.log" || status=$?

if grep -qiE "panicked|error" "$RUN"/logs/shop-*.log; then
  echo "scale-out: errors in the shop logs:" >&2
  grep -iE "panicked|error" "$RUN"/logs/shop-*.log | head -20 >&2
  status=1
fi
exit $status
