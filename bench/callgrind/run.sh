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
#
# CACHE=1 also simulates this machine's first-level caches and a 256 KiB
# last level (the part of the L2 the kernel's socket work leaves, as a
# guess) and prints every event per request: instruction and data reads,
# writes and misses. The simulation sees only the server's own code.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$here/../../target/release/example-bench-page}
ROUTES=$1 P=$2 N1=${N1:-500} N2=${N2:-2500} OUT=${OUT:-/tmp/mochi-callgrind}
mkdir -p "$OUT"
ir() {
  local n=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  BENCH_ROUTES=$ROUTES WORKERS=1 PORT=$port MOCHI_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 \
    valgrind --tool=callgrind $SIM --callgrind-out-file="$OUT/$ROUTES.$n" "$BIN" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
    sleep 0.2
  done
  python3 "$here/client.py" "$port" "$P" "$n"
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  # The totals line: each event's count, then its percentage.
  callgrind_annotate "$OUT/$ROUTES.$n" 2>/dev/null | grep -m1 "PROGRAM TOTALS" |
    awk '{for (i = 1; i < NF; i += 2) {gsub(",", "", $i); printf "%s ", $i}}'
}
SIM=
if [ "${CACHE:-0}" = 1 ]; then
  SIM="--cache-sim=yes --I1=32768,8,64 --D1=49152,12,64 --LL=262144,8,64"
fi
a=($(ir "$N1"))
b=($(ir "$N2"))
if [ -z "$SIM" ]; then
  echo "$ROUTES $P: $(((b[0] - a[0]) / (N2 - N1))) Ir/request"
else
  # callgrind's event order with the cache simulation on.
  names=(Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw)
  line="$ROUTES $P, per request:"
  for i in "${!names[@]}"; do
    line+=" ${names[$i]} $(((b[i] - a[i]) / (N2 - N1)))"
  done
  echo "$line"
fi
