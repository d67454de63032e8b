#!/usr/bin/env python3
"""Load benchmark: mochi's bench page and island endpoints against the plain
actix-web + maud baseline (or, with `--server axum`, mochi on axum against
plain axum + maud), in one run, interleaved.

    python3 bench/load.py            # load rounds, then the soak
    python3 bench/load.py load       # only the load rounds
    python3 bench/load.py soak       # only the soak (~1M island requests)
    python3 bench/load.py load --only page,cold   # some targets only
    python3 bench/load.py load --server axum      # mochi on axum vs plain axum
    python3 bench/load.py --help     # rounds, durations, connections, cores

What it does:

1. builds `example-bench-page` in release (`cargo build --release`);
2. starts it twice, pinned to one core (`taskset -c SERVER_CORE`), one
   worker each: one process serves only mochi (`BENCH_ROUTES=mochi`), the
   other only the baseline (`BENCH_ROUTES=plain`), so each has its own peak
   RSS and neither pays for the other's routes; both share the core but
   only one is ever under load;
3. fetches the mochi page to get the islands' signed props, and checks that
   each mochi fragment equals its plain fragment byte for byte;
4. warms up every target, then runs ROUNDS rounds; each round runs `wrk`
   (pinned to LOAD_CORE, `--latency`) against every target, mochi and plain
   back to back, alternating which goes first, so drift and other load on
   the machine hit both sides alike;
5. prints per target and side the medians over rounds of req/s, p50 and p99
   latency, the server's CPU time per request (user and system, from
   /proc/PID/stat), the peak RSS (VmHWM, reset before each run through
   /proc/PID/clear_refs so it is the peak of that run), and the ratios
   mochi/plain: the median of the per-round ratios (req/s with a 95%
   confidence interval for that median);
6. soak: about SOAK_REQUESTS requests at the island endpoints (round-robin
   over the three islands) against a fresh mochi process, sampling VmRSS
   every few seconds, and says whether it stayed flat.

A last target, `island CartCount (cold)`, sends many distinct tokens:
wrk cycles through COLD_TOKENS distinct `CartCount` tokens (`count` 0, 1,
2, ...), signed by this script with the same key and mochi's token format;
the plain side gets the same URLs. (mochi caches up to 256 verified tokens
per worker: 4096 distinct tokens measure the miss path, the repeated-token
targets the hit.)

Every request carries `Cookie: user=ada`; the plain fragment requests carry
the same `?p=…&i=…` query as the mochi ones (ignored), so both sides parse
requests of the same size. Loopback only; every run is bounded in time.
"""

import argparse
import base64
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from serverproc import ROOT, Process, free_port, target_dir

COOKIE = "user=ada"
ISLANDS = ["Avatar", "CartCount", "Greeting"]
# Distinct tokens for the cold target: more than any per-thread cache of a
# few hundred entries would hold.
COLD_TOKENS = 4096

# The goals for the ratios mochi/plain.
GOALS = {
    "req/s": 0.9,  # at least
    "rss": 1.2,  # at most
}


def log(msg):
    print(msg, flush=True)


def build():
    log("building example-bench-page (release)…")
    subprocess.run(
        ["cargo", "build", "--release", "-p", "example-bench-page"],
        cwd=ROOT,
        check=True,
    )
    return os.path.join(target_dir(), "release", "example-bench-page")


class Server(Process):
    """One pinned server process serving one side."""

    def __init__(self, binary, routes, core, key, server="actix"):
        self.routes = routes
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            PORT=str(self.port),
            BENCH_ROUTES=routes,
            BENCH_SERVER=server,
            WORKERS="1",
            MOCHI_KEY=key,
            RUST_LOG="warn",
        )
        self.proc = subprocess.Popen(
            ["taskset", "-c", str(core), binary],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.pid = self.proc.pid
        self.wait_listening(
            self.port, lambda: f"{routes} server exited: {self.proc.stderr.read()}"
        )

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def reset_peak(self):
        """Resets VmHWM to the current RSS (Linux >= 4.0); False if denied."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def fetch(url):
    req = urllib.request.Request(url, headers={"Cookie": COOKIE})
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.status, res.read().decode()


def visible_text(html):
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    return re.sub(r"<[^>]*>", "", html)


def seal(key, name, text):
    """The sealed props token mochi makes for island `name` and devalue
    `text` (docs/token_vectors.py, which needs Python's `cryptography`)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs"))
    try:
        import token_vectors
    except ImportError as e:
        raise SystemExit(f"bench/load.py makes sealed tokens with Python's cryptography "
                         f"(pip install cryptography): {e}")

    return token_vectors.seal(key, name, text)


def round_robin_script(paths):
    """A wrk script cycling through `paths` (deleted by the caller)."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(WRK_ROUND_ROBIN % ", ".join(f'"{p}"' for p in paths))
    script.close()
    return script.name


def cold_target(mochi, plain, key):
    """(name, mochi_url, plain_url, mochi_script, plain_script) for
    COLD_TOKENS distinct CartCount tokens, checked to be accepted."""
    text = '[{"count":1,"label":2},%d,"items"]'
    queries = [
        f"?p={seal(key, 'CartCount', text % n)}&i=i1" for n in range(COLD_TOKENS)
    ]
    for n in (0, 7, COLD_TOKENS - 1):
        status, body = fetch(mochi.url(f"/_mochi/island/CartCount{queries[n]}"))
        if status != 200 or body != f'<span class="cart">{n} items</span>':
            raise SystemExit(f"cold token {n} was not accepted: {status} {body!r}")
    return (
        "island CartCount (cold)",
        mochi.url("/"),
        plain.url("/"),
        round_robin_script([f"/_mochi/island/CartCount{q}" for q in queries]),
        round_robin_script([f"/plain/island/CartCount{q}" for q in queries]),
    )


def targets(mochi, plain):
    """[(name, mochi_url, plain_url, None, None)], checked to answer the
    same."""
    status, page = fetch(mochi.url("/"))
    assert status == 200, status
    islands = re.findall(
        r'<mochi-server-island component-name="([^"]+)" island-id="([^"]+)"'
        r' signed-props="([^"]+)"',
        page,
    )
    if [name for name, _, _ in islands] != ISLANDS:
        raise SystemExit(
            "the mochi page has no signed islands (is the devalue codec in place?): "
            + repr(islands)
        )
    _, plain_page = fetch(plain.url("/plain/"))
    if visible_text(page) != visible_text(plain_page):
        raise SystemExit("the two pages differ in visible text")
    out = [("page", mochi.url("/"), plain.url("/plain/"), None, None)]
    for name, island_id, token in islands:
        query = f"?p={token}&i={island_id}"
        m = mochi.url(f"/_mochi/island/{name}{query}")
        p = plain.url(f"/plain/island/{name}{query}")
        if fetch(m) != fetch(p):
            raise SystemExit(f"{name}: mochi and plain fragments differ")
        out.append((f"island {name}", m, p, None, None))
    log(
        f"pages: mochi {len(page)} bytes, plain {len(plain_page)} bytes; "
        "fragments identical"
    )
    return out


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def wrk(url, seconds, args, script=None):
    cmd = [
        "taskset", "-c", str(args.load_core),
        "wrk", "-t1", f"-c{args.connections}", f"-d{seconds}s",
        "--latency", "-H", f"Cookie: {COOKIE}",
    ]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, timeout=seconds + 30
    ).stdout
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": parse_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": parse_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        raise SystemExit(f"wrk saw errors on {url}:\n{out}")
    return result


def run_one(server, url, seconds, args, script=None):
    server.reset_peak()
    user, system = server.cpu_times()
    r = wrk(url, seconds, args, script)
    r["rss"] = server.status("VmHWM")
    # Server CPU time per request: unlike req/s, it hardly moves when other
    # processes take turns on the server's core. Split into the server's
    # own code (user) and the kernel's work for its sockets (system), which
    # mochi and plain share but for the bytes they send.
    user_after, system_after = server.cpu_times()
    per_request = 1e6 / max(r["requests"], 1)
    r["user_us"] = (user_after - user) * per_request
    r["sys_us"] = (system_after - system) * per_request
    r["cpu_us"] = r["user_us"] + r["sys_us"]
    return r


def load(args, binary, key):
    mochi = Server(binary, "mochi", args.server_core, key, args.server)
    plain = Server(binary, "plain", args.server_core, key, args.server)
    ts = []
    try:
        log(
            f"servers ({args.server}): mochi pid {mochi.pid}, plain pid {plain.pid}, core "
            f"{args.server_core}; wrk on core {args.load_core}, "
            f"{args.connections} connections"
        )
        log(f"idle RSS: mochi {mochi.status('VmRSS')} KiB, plain {plain.status('VmRSS')} KiB")
        log(f"load average at start: {open('/proc/loadavg').read().strip()}")
        ts = targets(mochi, plain) + [cold_target(mochi, plain, key)]
        if args.only:
            ts = [t for t in ts if any(word in t[0] for word in args.only.split(","))]
        log(f"warm-up: {args.warmup} s per target and side")
        for _, m, p, ms, ps in ts:
            wrk(m, args.warmup, args, ms)
            wrk(p, args.warmup, args, ps)
        results = {(t[0], side): [] for t in ts for side in ("mochi", "plain")}
        for rnd in range(args.rounds):
            log(f"round {rnd + 1}/{args.rounds}")
            for name, m, p, ms, ps in ts:
                order = [("mochi", mochi, m, ms), ("plain", plain, p, ps)]
                if rnd % 2:
                    order.reverse()
                for side, server, url, script in order:
                    r = run_one(server, url, args.duration, args, script)
                    results[(name, side)].append(r)
                    log(
                        f"  {name:<24} {side:<5} {r['rps']:>10.0f} req/s  "
                        f"p50 {r['p50']:.3f} ms  p99 {r['p99']:.3f} ms  "
                        f"CPU {r['cpu_us']:.1f} us/req  peak RSS {r['rss']} KiB"
                    )
        peak = {"mochi": mochi.status("VmHWM"), "plain": plain.status("VmHWM")}
        report(ts, results, args)
        log(
            f"\nlast VmHWM of the processes: mochi {peak['mochi']} KiB, "
            f"plain {peak['plain']} KiB (each since its last reset)"
        )
        log(f"load average at end: {open('/proc/loadavg').read().strip()}")
    finally:
        for t in ts:
            for script in t[3:]:
                if script:
                    os.unlink(script)
        mochi.stop()
        plain.stop()


def med(values):
    return statistics.median(values)


def median_ci(values, level=0.95):
    """A distribution-free confidence interval for the median of the
    population `values` were drawn from: the order statistics k and n-k+1
    for the largest k whose binomial tail stays within (1 - level) / 2
    (with few values it is wider than asked, down to min-max)."""
    ranked = sorted(values)
    n = len(ranked)
    tail, k = 0.0, 1
    for i in range(n):
        tail += math.comb(n, i) / 2**n
        if tail > (1 - level) / 2:
            k = max(i, 1)
            break
    return ranked[k - 1], ranked[n - k]


def report(ts, results, args):
    log(
        f"\nmedians over {args.rounds} rounds of {args.duration} s "
        f"(ratios: median of per-round mochi/plain)"
    )
    header = (
        f"{'target':<24} {'side':<5} {'req/s':>10} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'CPU us/req':>10} {'user':>6} {'sys':>6} {'peak RSS KiB':>13}"
    )
    log(header)
    log("-" * len(header))
    ratios = []
    for name, *_ in ts:
        for side in ("mochi", "plain"):
            rs = results[(name, side)]
            log(
                f"{name:<24} {side:<5} {med([r['rps'] for r in rs]):>10.0f} "
                f"{med([r['p50'] for r in rs]):>8.3f} {med([r['p99'] for r in rs]):>8.3f} "
                f"{med([r['cpu_us'] for r in rs]):>10.2f} {med([r['user_us'] for r in rs]):>6.2f} "
                f"{med([r['sys_us'] for r in rs]):>6.2f} {med([r['rss'] for r in rs]):>13.0f}"
            )
        m, p = results[(name, "mochi")], results[(name, "plain")]
        per_round = lambda key: [a[key] / b[key] for a, b in zip(m, p)]
        rps = per_round("rps")
        ratios.append(
            (name, med(rps), med(per_round("p50")), med(per_round("p99")),
             med(per_round("rss")), 1 / med(per_round("cpu_us")), *median_ci(rps))
        )
    log("\nmochi/plain")
    header = (
        f"{'target':<24} {'req/s':>7} {'(95% CI)':>13} {'p50':>7} {'p99':>7} "
        f"{'RSS':>7} {'1/CPU':>7}  goals: req/s >= {GOALS['req/s']}, RSS <= {GOALS['rss']}"
    )
    log(header)
    log("-" * len(header))
    for name, rps, p50, p99, rss, cpu, lo, hi in ratios:
        ok = rps >= GOALS["req/s"] and rss <= GOALS["rss"]
        log(
            f"{name:<24} {rps:>7.3f} {f'({lo:.2f}-{hi:.2f})':>13} {p50:>7.3f} "
            f"{p99:>7.3f} {rss:>7.3f} {cpu:>7.3f}  {'met' if ok else 'MISSED'}"
        )
    log(
        "95% CI: of the median req/s ratio, from the per-round ratios (distribution-free;"
        " min-max with fewer than 9 rounds)\n"
        "1/CPU: plain's server CPU time per request over mochi's (median of per-round"
        " ratios): the req/s ratio a quiet core would show"
    )


WRK_ROUND_ROBIN = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def soak(args, binary, key):
    mochi = Server(binary, "mochi", args.server_core, key, args.server)
    plain = Server(binary, "plain", args.server_core, key, args.server)
    samples = []
    stop = threading.Event()
    try:
        ts = targets(mochi, plain)
        paths = [t[1].split(f":{mochi.port}", 1)[1] for t in ts if t[0] != "page"]
        script = round_robin_script(paths)
        start = time.time()

        def sample():
            while not stop.is_set():
                samples.append((time.time() - start, mochi.status("VmRSS")))
                stop.wait(args.sample_every)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        total, chunks = 0, 0
        deadline = start + args.soak_max_seconds
        log(
            f"soak: {args.soak_requests} requests round-robin over {len(paths)} island "
            f"endpoints (mochi pid {mochi.pid}), VmRSS every {args.sample_every} s"
        )
        while total < args.soak_requests and time.time() < deadline:
            r = wrk(mochi.url("/"), args.soak_chunk, args, script=script)
            total += r["requests"]
            chunks += 1
            log(
                f"  {total:>9} requests, {r['rps']:.0f} req/s, "
                f"VmRSS {mochi.status('VmRSS')} KiB"
            )
        stop.set()
        sampler.join()
        os.unlink(script)
        rss = [kib for _, kib in samples]
        # The first chunk is the warm-up: allocator arenas, connection buffers.
        settled = [kib for t, kib in samples if t >= args.soak_chunk] or rss
        log(f"\nsoak: {total} requests in {time.time() - start:.0f} s")
        log("VmRSS samples (s, KiB): " + ", ".join(f"{t:.0f}:{kib}" for t, kib in samples))
        growth = settled[-1] - settled[0]
        log(
            f"after the first {args.soak_chunk} s: first {settled[0]} KiB, last "
            f"{settled[-1]} KiB, min {min(settled)}, max {max(settled)} KiB, "
            f"growth {growth:+d} KiB; peak (VmHWM) {mochi.status('VmHWM')} KiB"
        )
        flat = max(settled) - min(settled) <= max(1024, settled[0] // 20)
        log("RSS " + ("flat" if flat else "NOT flat") + " (spread <= max(1 MiB, 5%))")
        if total < args.soak_requests:
            log(f"note: stopped at the {args.soak_max_seconds} s bound, short of the target")
    finally:
        stop.set()
        mochi.stop()
        plain.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", nargs="?", default="all", choices=["all", "load", "soak"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--warmup", type=int, default=3, help="seconds per target and side")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument(
        "--server", choices=["actix", "axum"], default="actix",
        help="the server both sides run on: mochi on actix against plain actix-web, or "
        "mochi on axum against plain axum",
    )
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--load-core", type=int, default=1)
    ap.add_argument("--soak-requests", type=int, default=1_000_000)
    ap.add_argument("--soak-chunk", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--soak-max-seconds", type=int, default=180)
    ap.add_argument("--sample-every", type=float, default=2.0)
    ap.add_argument("--no-build", action="store_true", help="use the built binary")
    ap.add_argument(
        "--only", help="load rounds for these targets only (comma-separated words of names)"
    )
    args = ap.parse_args()
    for tool in ("wrk", "taskset", "cargo"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is required")
    binary = (
        os.path.join(target_dir(), "release", "example-bench-page")
        if args.no_build
        else build()
    )
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    if args.mode in ("all", "load"):
        load(args, binary, key)
    if args.mode in ("all", "soak"):
        soak(args, binary, key)


if __name__ == "__main__":
    sys.exit(main())
