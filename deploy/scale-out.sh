#!/usr/bin/env bash
# Scale-out check: 3 release shop instances with one MOCHI_KEY on one
# PostgreSQL database, behind nginx (deploy/nginx.conf); the last one runs
# on axum (`shop-axum`), the others on actix-web, so pages one server
# renders name islands the other verifies. While a bounded
# load (deploy/load.py, python3 stdlib) and headless Chromium
# (deploy/browser.py, through chromedriver) load pages and their islands
# through nginx, the instances go through the README's three-step rolling
# key rotation, restarted one at a time. load.py checks and prints figures.
#
#   deploy/scale-out.sh                 # from the repository root
#   INSTANCES=3 LOAD_SECONDS=120 deploy/scale-out.sh
#   PG_TESTS=1 deploy/scale-out.sh      # first runs tests/shop.rs on it too
#
# Needs Debian's postgresql (15 or later), nginx, chromium and chromium-driver
# packages and python3:
#   apt-get install postgresql nginx-light chromium chromium-driver python3
# Without PostgreSQL or nginx it prints SKIPPED and succeeds; without
# Chromium it runs without the browser and says SKIPPED for that part.
# MOCHI_REQUIRE_EXTERNAL=1 (set by .ci/run) makes either a failure.
#
# Everything runs on 127.0.0.1 in a temporary directory: a throwaway
# PostgreSQL cluster (trust auth, loopback only) and an nginx with its own
# cache. As root (CI), PostgreSQL and nginx run as `nobody`. KEEP=1 keeps
# the directory (logs, nginx cache, phases) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

INSTANCES=${INSTANCES:-3}
LOAD_SECONDS=${LOAD_SECONDS:-120} # a cap (load.py: 120 at most); the load ends with the rotation
# Debian's newest PostgreSQL (15 on bookworm).
PG_BIN=${PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}
CHROME_BIN=${CHROME_BIN:-$(command -v chromium || echo /usr/bin/chromium)}

say() { printf '\n== %s\n' "$*"; }
die() { printf 'scale-out: %s\n' "$*" >&2; exit 1; }
# A missing program is a loud skip, or a failure under MOCHI_REQUIRE_EXTERNAL=1
# (the convention of the tests: tests/tests/browser/harness.rs).
skipped() { # message; returns (so the caller decides what is skipped)
  local bar
  bar=$(printf '=%.0s' $(seq 78))
  if [ "${MOCHI_REQUIRE_EXTERNAL:-0}" = 1 ]; then
    die "SKIPPED: $1 (MOCHI_REQUIRE_EXTERNAL=1 makes this a failure)"
  fi
  printf '\n%s\nSKIPPED: %s\n%s\n\n' "$bar" "$1" "$bar" >&2
}

command -v python3 >/dev/null || die "no python3 (apt-get install python3)"
if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$NGINX" ]; then
  skipped "the scale-out check needs PostgreSQL in $PG_BIN and nginx (apt-get install postgresql nginx-light; or set PG_BIN, NGINX)"
  exit 0
fi
BROWSER=1
if [ ! -x "$CHROMEDRIVER" ] || [ ! -x "$CHROME_BIN" ]; then
  skipped "the scale-out check runs without headless Chromium: it needs chromium and chromedriver (apt-get install chromium chromium-driver; or set CHROME_BIN, CHROMEDRIVER)"
  BROWSER=0
fi

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

SHOP_PID=()  # the shop instances' current pids, by index
PIDS=()      # everything else started here: nginx, chromedriver, load.py while it runs
cleanup() {
  local rc=$?
  set +e
  for pid in "${SHOP_PID[@]}" "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${SHOP_PID[@]}" "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ -f "$RUN/pg/PG_VERSION" ] && "${AS_USER[@]}" "$PG_BIN/pg_ctl" -D "$RUN/pg" -m fast -w stop >/dev/null 2>&1
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "scale-out: logs kept in $RUN" >&2
  else
    rm -rf "$RUN"
  fi
  exit $rc
}
trap cleanup EXIT INT TERM

say "building example-shop and shop-axum (release)"
T0=$SECONDS
nice -n 10 cargo build --release -p example-shop --bins ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"}
BUILD_TIME=$((SECONDS - T0))
RELEASE="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release"
# Which instance runs on axum (the others run on actix-web).
AXUM_INSTANCE=${AXUM_INSTANCE:-$((INSTANCES - 1))}
shop_binary() { # index: the binary that instance runs
  if [ "$1" = "$AXUM_INSTANCE" ]; then echo "$RELEASE/shop-axum"; else echo "$RELEASE/example-shop"; fi
}

say "PostgreSQL: a throwaway cluster"
T0=$SECONDS
PG_PORT=$(free_port)
"${AS_USER[@]}" "$PG_BIN/initdb" -D "$RUN/pg" -U shop --auth=trust --no-sync >"$RUN/logs/initdb.log" 2>&1 \
  || { cat "$RUN/logs/initdb.log"; die "initdb failed"; }
"${AS_USER[@]}" "$PG_BIN/pg_ctl" -D "$RUN/pg" -l "$RUN/logs/postgres.log" -w \
  -o "-p $PG_PORT -k $RUN -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
  || { cat "$RUN/logs/postgres.log"; die "PostgreSQL did not start"; }
"${AS_USER[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U shop shop
export DATABASE_URL="postgres://shop@127.0.0.1:$PG_PORT/shop"
echo "$DATABASE_URL"

PG_TESTS_TIME=0
if [ "${PG_TESTS:-0}" = 1 ]; then
  say "tests/shop.rs on this PostgreSQL too"
  T1=$SECONDS
  "${AS_USER[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U shop shop_tests
  MOCHI_TEST_DATABASE_URL="postgres://shop@127.0.0.1:$PG_PORT/shop_tests" \
    nice -n 10 cargo test -p mochi-tests --test shop ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"}
  PG_TESTS_TIME=$((SECONDS - T1))
fi

# One key for every instance: a page rendered (and cached) by one instance
# names islands that any other must verify.
key() { python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))'; }
OLD_KEY=$(key)
NEW_KEY=$(key)

start_shop() { # index, port, key, fallback keys: starts (or restarts) one instance
  MOCHI_KEY="$3" MOCHI_KEY_FALLBACKS="$4" PORT="$2" RUST_LOG=warn \
    "$(shop_binary "$1")" >>"$RUN/logs/shop-$1.log" 2>&1 &
  SHOP_PID[$1]=$!
}

say "$INSTANCES shop instances (instance $AXUM_INSTANCE on axum), started at once on one database"
SHOP_PORT=(); UPSTREAMS=""; BASES=""
# nginx takes an instance out for fail_timeout after one refused
# connection; SETTLE (below) waits that out before the next restart, so
# at most one instance is ever out of nginx's rotation.
FAIL_TIMEOUT=1
for i in $(seq 0 $((INSTANCES - 1))); do
  SHOP_PORT[$i]=$(free_port)
  UPSTREAMS+="server 127.0.0.1:${SHOP_PORT[$i]} max_fails=1 fail_timeout=${FAIL_TIMEOUT}s;"$'\n        '
  BASES+="${BASES:+,}http://127.0.0.1:${SHOP_PORT[$i]}"
done
for i in $(seq 0 $((INSTANCES - 1))); do start_shop "$i" "${SHOP_PORT[$i]}" "$OLD_KEY" ""; done
for i in $(seq 0 $((INSTANCES - 1))); do
  wait_http "http://127.0.0.1:${SHOP_PORT[$i]}/" "shop instance $i (see $RUN/logs/shop-$i.log)"
done
echo "$BASES"

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

BROWSER_ARGS=()
if [ $BROWSER = 1 ]; then
  DRIVER_PORT=$(free_port)
  "$CHROMEDRIVER" --port="$DRIVER_PORT" >"$RUN/logs/chromedriver.log" 2>&1 &
  PIDS+=("$!")
  wait_http "http://127.0.0.1:$DRIVER_PORT/status" "chromedriver (see $RUN/logs/chromedriver.log)"
  BROWSER_ARGS=(--chromedriver "http://127.0.0.1:$DRIVER_PORT" --chrome "$CHROME_BIN")
fi

# -- The rolling key rotation, under load -----------------------------------
#
# The README's three steps, each rolled out instance by instance before the
# next begins. load.py reads the events written to $PHASES (see its doc).
PHASES="$RUN/phases"
event() { printf '%s %s\n' "$(date +%s.%N)" "$*" >>"$PHASES"; }
phase() { # id, what
  event "phase $1 $2"
  printf '  %s  %-7s %s\n' "$(date +%T)" "$1" "$2"
}
WARMUP=5  # s of load on the first key, before step 1
HOLD=3    # s of load between steps
SETTLE=$((FAIL_TIMEOUT + 1)) # s after an instance answers again, before the next restart
GRACE=5   # s between purging nginx's cache and step 3 (see there)
AFTER=5   # s of load on the new key alone

restart_shop() { # index, key, fallback keys
  kill -0 "$LOAD_PID" 2>/dev/null || die "load.py ended during the rotation"
  event "down $1"
  # SIGTERM: actix (and the axum shop, through axum's graceful shutdown)
  # stops accepting, answers the requests it has, closes its idle
  # keep-alive connections, and exits. nginx passes what it
  # cannot send there to another instance (proxy_next_upstream).
  kill -TERM "${SHOP_PID[$1]}"
  wait "${SHOP_PID[$1]}" || die "instance $1 exited with $? on SIGTERM (see $RUN/logs/shop-$1.log)"
  start_shop "$1" "${SHOP_PORT[$1]}" "$2" "$3"
  wait_http "http://127.0.0.1:${SHOP_PORT[$1]}/" "instance $1 after its restart (see $RUN/logs/shop-$1.log)"
  event "up $1"
  sleep "$SETTLE"
}
roll_out() { # key, fallback keys
  for i in $(seq 0 $((INSTANCES - 1))); do restart_shop "$i" "$1" "$2"; done
}

say "load through nginx, with a rolling key rotation"
T0=$SECONDS
phase before "MOCHI_KEY=old on every instance"
python3 deploy/load.py --nginx "http://127.0.0.1:$NGINX_PORT" --instances "$BASES" \
  --seconds "$LOAD_SECONDS" --access-log "$RUN/logs/access.log" \
  --phases "$PHASES" --ready "$RUN/load-ready" "${BROWSER_ARGS[@]}" &
LOAD_PID=$!
PIDS_BEFORE_LOAD=("${PIDS[@]}")
PIDS+=("$LOAD_PID")
for _ in $(seq 600); do
  [ -f "$RUN/load-ready" ] && break
  kill -0 "$LOAD_PID" 2>/dev/null || break
  sleep 0.1
done
sleep "$WARMUP"

phase step1 "MOCHI_KEY=old MOCHI_KEY_FALLBACKS=new, instance by instance"
roll_out "$OLD_KEY" "$NEW_KEY"
sleep "$HOLD"
phase step2 "MOCHI_KEY=new MOCHI_KEY_FALLBACKS=old, instance by instance"
roll_out "$NEW_KEY" "$OLD_KEY"
sleep "$HOLD"

# Step 3 drops the old key, so no page signed with it may be served after
# it: every copy must have expired or been purged. Waiting is not enough
# here: nginx sends no `Age`, so a browser keeps a page nginx kept for a
# minute another minute (120 s in all), and proxy_cache_use_stale serves an
# expired page while it refreshes it, or while instances fail. So, as a
# deployment with a purge API would: now that every instance signs with
# the new key (no old page can enter the cache again), empty nginx's cache
# (nginx-light has no purge module; deleting the files is nginx's purge:
# a missing file is a MISS), then wait GRACE seconds for pages already
# handed out to load their islands. Chromium here runs with its HTTP cache
# off (deploy/browser.py); a real site purges its CDN and waits out the
# browsers' max-age (60 s) instead of GRACE.
phase purge "nginx's cache emptied; pages handed out before load their islands"
find "$RUN/cache" -type f -regextype posix-extended -regex '.*/[0-9a-f]{32}' -delete
sleep "$GRACE"
phase step3 "MOCHI_KEY=new alone, instance by instance"
roll_out "$NEW_KEY" ""
event retired
phase after "MOCHI_KEY=new on every instance"
sleep "$AFTER"
event stop

status=0
wait "$LOAD_PID" || status=$?
PIDS=("${PIDS_BEFORE_LOAD[@]}") # reaped: its pid is no longer ours to kill
RUN_TIME=$((SECONDS - T0))

if grep -qiE "panicked|error" "$RUN"/logs/shop-*.log; then
  echo "scale-out: errors in the shop logs:" >&2
  grep -iE "panicked|error" "$RUN"/logs/shop-*.log | head -20 >&2
  status=1
fi
REFUSED=$(grep -c "Connection refused" "$RUN/logs/error.log" || true)
CLOSED=$(grep -c "prematurely closed" "$RUN/logs/error.log" || true)
printf '\nnginx error log: %s connections refused and %s keep-alive connections closed by a stopping instance, each request passed on to another\n' "$REFUSED" "$CLOSED"
printf 'times: shop build %s s; tests/shop.rs on PostgreSQL %s s (with its build); load and rotation %s s; whole script %s s\n' \
  "$BUILD_TIME" "$PG_TESTS_TIME" "$RUN_TIME" "$SECONDS"
[ $status = 0 ] && echo "scale-out: ok" || echo "scale-out: FAILED" >&2
exit $status
