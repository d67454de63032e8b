#!/usr/bin/env bash
# Instructions per request of the release bench page, under callgrind:
#
#   cargo build --release -p example-bench-page
#   bench/callgrind/run.sh mochi /
#   bench/callgrind/run.sh plain /plain/
#   bench/callgrind/run.sh mochi '/_mochi/island/CartCount?p=…&i=i1'
#
# Runs the server (one worker, BENCH_ROUTES=$1, a fixed key) under
# `valgrind --tool=callgrind` twice, for N1 and N2 keep-alive requests of
# PATH (with `Cookie: user=ada`), and prints (Ir(N2) - Ir(N1)) / (N2 - N1):
# start-up and shutdown cancel out. The profiles stay in $OUT
# (callgrind_annotate them). valgrind hides SHA-NI, so HMACs run in
# software here and cost more than on the real CPU.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$here/../../target/release/example-bench-page}
ROUTES=$1 P=$2 N1=${N1:-500} N2=${N2:-2500} OUT=${OUT:-/tmp/mochi-callgrind}
mkdir -p "$OUT"
ir() {
  local n=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  BENCH_ROUTES=$ROUTES WORKERS=1 PORT=$port MOCHI_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 \
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$ROUTES.$n" "$BIN" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
    sleep 0.2
  done
  python3 "$here/client.py" "$port" "$P" "$n"
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  callgrind_annotate "$OUT/$ROUTES.$n" 2>/dev/null | grep -m1 "PROGRAM TOTALS" | awk '{gsub(",", "", $1); print $1}'
}
a=$(ir "$N1")
b=$(ir "$N2")
echo "$ROUTES $P: $(((b - a) / (N2 - N1))) Ir/request"
