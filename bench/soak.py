#!/usr/bin/env python3
"""Soak with faults: the `example-soak` app under load from 64 keep-alive
connections, faulty routes mixed in, checked answer by answer.

    python3 bench/soak.py                  # release build, 60 s of faults + 60 s baseline
    python3 bench/soak.py --seconds 10     # a short run
    python3 bench/soak.py --debug          # against the debug build (a smoke test)
    python3 bench/soak.py --help

Python 3 standard library only (asyncio streams; no wrk). Loopback only.
Method and recorded results: RELIABILITY.md.

What it does:

1. builds `example-soak` (`cargo build --release`, or debug with `--debug`)
   and starts it with a random key and WORKERS workers; with two usable
   cores or more, the server is pinned to one core and this client to
   another (`taskset`, `sched_setaffinity`), so they take turns less;
2. fetches `/` and `/faults` for the islands' signed props and sends each
   route once, checking its status and keeping the 200 bodies as the
   reference every later 200 answer must equal byte for byte;
3. warms up, then samples the server at the start: VmRSS, VmHWM (peak RSS)
   and open descriptors (/proc/PID/fd), with no client connection open;
4. runs SECONDS of the faulty mix and SECONDS of the baseline, interleaved
   in slices of SLICE seconds (baseline first, then faults, ...), each slice
   drained before the next starts, so drift and other load on the machine
   hit both alike. CONNECTIONS coroutines each keep one keep-alive
   connection and send requests back to back, picking routes at random by
   weight (seeded: a run sends the same sequence). FAULTY of them send the
   faulty routes, in the faulty phase only; the others send the normal
   routes (page, fast islands) in both phases. So the normal routes have
   the same connections in both phases (48 of the default 64), and their
   latencies differ by what the faulty traffic costs them. Server samples
   every 2 s;
5. closes every connection, waits SETTLE seconds (past the deadlines and
   the slow island), and samples the server again: the end;
6. graceful shutdown: loads the faulty mix again on all connections, sends
   SIGTERM after SHUTDOWN_AFTER seconds, lets every request in flight at
   that moment end (and writes no new one), and sorts them: full answers;
   closed unanswered (the connection closed before any byte of an answer,
   which actix does to a connection whose request it has not read yet:
   allowed for requests written under UNREAD_MS before SIGTERM); reset or
   cut short. Then waits for the process to exit;
7. prints requests served, answers by status per route and phase, p50/p99
   of the normal routes in each phase, the server samples and the shutdown
   counts, and exits 1 if any answer was not the one expected of its route
   (status, or body: a 200 equal to the reference, an error starting with
   its word), any request failed, RSS or descriptors grew, or a request
   in flight at SIGTERM was lost.

Latencies are measured by this client, from writing a request to reading
the last byte of its answer: on a loaded two-core machine they include the
client's own scheduling. Correctness is the point; req/s is what one Python
process drives.
"""

import argparse
import asyncio
import base64
import os
import random
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from serverproc import HOST, ROOT, Process, free_port, target_dir
COOKIE = "user=ada"
# At SIGTERM, a request written this long ago or longer must get its answer:
# the server has read it (see the graceful shutdown in RELIABILITY.md).
UNREAD_MS = 100
# A keep-alive connection idle this long is reopened before its next request:
# actix closes idle ones after 5 s.
IDLE_REOPEN_S = 2.0


class Route:
    """One kind of request: what it sends, what it must get back."""

    def __init__(self, name, island=None, expect=200, weight=1, normal=False,
                 cross_site=False, abandon=False, body=None):
        self.name = name
        self.island = island  # endpoint name, or None for a page
        self.expect = expect  # status, or None for an abandoned request
        self.weight = weight
        self.normal = normal  # in the baseline mix, and in the latency table
        self.cross_site = cross_site
        self.abandon = abandon
        self.body = body  # a 200 body must equal this; else the body's start
        self.path = None
        self.raw = None


# The normal connections pick among the `normal` routes, the faulty ones
# among the others, by weight.
def routes():
    return [
        Route("page /", weight=4, normal=True),
        Route("Avatar", "Avatar", weight=3, normal=True),
        Route("CartCount", "CartCount", weight=3, normal=True),
        Route("Greeting", "Greeting", weight=3, normal=True),
        Route("page /faults", weight=4),
        Route("Slow (300 ms)", "Slow", weight=6),
        Route("Panicking", "Panicking", expect=500, weight=20, body="internal server error"),
        Route("Overdue (200 ms deadline)", "Overdue", expect=504, weight=4,
              body="gateway timeout"),
        Route("cross-site Greeting", "Greeting", expect=403, weight=20, cross_site=True,
              body="forbidden"),
        Route("abandoned Slow", "Slow", expect=None, weight=3, abandon=True),
        Route("abandoned Overdue", "Overdue", expect=None, weight=3, abandon=True),
    ]


def log(msg=""):
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# The server process.


class Server(Process):
    def __init__(self, binary, port, workers, core, log_path):
        env = dict(os.environ)
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        env.update(PORT=str(port), WORKERS=str(workers), MOCHI_KEY=key,
                   RUST_LOG=env.get("RUST_LOG", "warn"))
        # A backtrace per panic would make the Panicking route the run's
        # main cost, and differ from one shell to the next.
        env.pop("RUST_BACKTRACE", None)
        cmd = [binary] if core is None else ["taskset", "-c", str(core), binary]
        self.port = port
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.wait_listening(port, lambda: f"the server exited: {open(log_path).read()}")

    def fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def sample(self):
        return {"rss": self.status("VmRSS"), "hwm": self.status("VmHWM"), "fds": self.fds()}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


# ---------------------------------------------------------------------------
# HTTP/1.1 over asyncio streams.


class Closed(Exception):
    """The connection ended before a full answer; `started`: after some of
    its bytes."""

    def __init__(self, why, started=True):
        super().__init__(why)
        self.started = started


def failure_kind(e):
    """How a request failed, in the words of the report."""
    if isinstance(e, Closed):
        return "cut short" if e.started else "closed unanswered"
    if isinstance(e, ConnectionResetError):
        return "reset"
    if isinstance(e, asyncio.TimeoutError):
        return "timeout"
    return type(e).__name__


async def read_answer(reader):
    """(status, body bytes, keep_alive) of one answer."""
    line = await reader.readline()
    if not line:
        raise Closed("closed before the status line", started=False)
    if not line.endswith(b"\r\n"):
        raise Closed(f"status line {line!r}")
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise Closed(f"status line {line!r}")
    status = int(parts[1])
    length, chunked, keep_alive = None, False, parts[0] == b"HTTP/1.1"
    while True:
        line = await reader.readline()
        if not line.endswith(b"\r\n"):
            raise Closed("headers cut short")
        if line == b"\r\n":
            break
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep_alive = value != b"close"
    try:
        if chunked:
            body = bytearray()
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b""):
                        pass
                    break
                body += await reader.readexactly(size)
                await reader.readexactly(2)
            body = bytes(body)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            keep_alive = False
    except (asyncio.IncompleteReadError, ValueError) as e:
        raise Closed(f"body cut short: {e}") from None
    return status, body, keep_alive


# One W3C trace for every request: a page carries its request's trace
# (`<meta name="traceparent">`), so with the same one it is the same bytes.
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def request_bytes(port, path, cross_site=False):
    extra = "Sec-Fetch-Site: cross-site\r\n" if cross_site else ""
    return (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: {COOKIE}\r\n"
            f"traceparent: {TRACEPARENT}\r\n{extra}\r\n").encode()


async def fetch_once(port, raw):
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(raw)
        return await asyncio.wait_for(read_answer(reader), 10)
    finally:
        writer.close()


# ---------------------------------------------------------------------------
# Results.


class Tally:
    """Answers of one phase: status counts, latencies, failures per route."""

    def __init__(self):
        self.status = {}  # route name -> {status: count}
        self.latency = {}  # route name -> [ms]
        self.errors = {}  # route name -> {kind: count}
        self.bad_body = {}  # route name -> count
        self.abandoned = {}  # route name -> {"FIN": n, "RST": n}
        self.seconds = 0.0
        self.cpu = 0.0  # the server's CPU seconds

    def answer(self, route, status, ms, body_ok):
        by = self.status.setdefault(route.name, {})
        by[status] = by.get(status, 0) + 1
        self.latency.setdefault(route.name, []).append(ms)
        if not body_ok:
            self.bad_body[route.name] = self.bad_body.get(route.name, 0) + 1

    def error(self, route, kind):
        by = self.errors.setdefault(route.name, {})
        by[kind] = by.get(kind, 0) + 1

    def abandon(self, route, how):
        by = self.abandoned.setdefault(route.name, {})
        by[how] = by.get(how, 0) + 1

    def answered(self):
        return sum(sum(by.values()) for by in self.status.values())

    def unexpected(self, by_name):
        n = sum(sum(by.values()) for by in self.errors.values())
        n += sum(self.bad_body.values())
        for name, by in self.status.items():
            n += sum(c for s, c in by.items() if s != by_name[name].expect)
        return n


def body_ok(route, status, body):
    if status != route.expect:
        return True  # counted as an unexpected status already
    if status == 200:
        return body == route.body
    return body.decode("utf-8", "replace").startswith(route.body)


def percentile(sorted_ms, q):
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


# ---------------------------------------------------------------------------
# The load.


class Load:
    """CONNECTIONS coroutines, each with one keep-alive connection: the
    first FAULTY send the faulty routes, only in the faults phase; the
    others send the normal routes in both phases."""

    def __init__(self, port, all_routes, connections, faulty, seed):
        self.port = port
        self.mixes = {
            "normal": [r for r in all_routes if r.normal],
            "faulty": [r for r in all_routes if not r.normal],
        }
        self.connections = connections
        self.faulty = faulty
        self.seed = seed
        self.tally = None
        self.go = {"normal": asyncio.Event(), "faulty": asyncio.Event()}
        self.done = False
        self.terminated = False  # SIGTERM sent
        self.busy = 0
        self.in_flight = {}  # connection number -> (route, request number)
        self.sent = 0  # requests written so far (not counting abandoned ones)
        self.outcomes = {}  # request number -> "expected", "unexpected …" or a failure_kind
        self.tasks = []

    def start(self):
        self.tasks = [asyncio.create_task(self.connection(n)) for n in range(self.connections)]

    def resume(self, phase, tally):
        self.tally = tally
        self.go["normal"].set()
        if phase == "faults":
            self.go["faulty"].set()

    def pause(self):
        for go in self.go.values():
            go.clear()

    async def drained(self):
        while self.busy:
            await asyncio.sleep(0.005)

    async def run(self, phase, tally, seconds):
        """Runs `phase` for `seconds`, then drains: returns once no request is
        in flight, with the slice's length (drain included) added to tally."""
        started = time.perf_counter()
        self.resume(phase, tally)
        await asyncio.sleep(seconds)
        self.pause()
        await self.drained()
        tally.seconds += time.perf_counter() - started

    async def close(self):
        self.done = True
        for go in self.go.values():
            go.set()
        await asyncio.gather(*self.tasks)

    async def connection(self, n):
        rng = random.Random(self.seed * 1000 + n)
        kind = "faulty" if n < self.faulty else "normal"
        go, mix = self.go[kind], self.mixes[kind]
        reader = writer = None
        last_used = 0.0
        while True:
            await go.wait()
            if self.done:
                break
            tally = self.tally
            route = rng.choices(mix, weights=[r.weight for r in mix])[0]
            self.busy += 1
            try:
                if route.abandon:
                    await self.abandon(route, tally, rng)
                    continue
                if writer is not None and time.perf_counter() - last_used > IDLE_REOPEN_S:
                    # The server may have closed it (keep-alive timeout): a
                    # browser would retry on a new connection, this client
                    # does not retry, so it does not reuse one that old.
                    writer.close()
                    reader = writer = None
                if writer is None:
                    try:
                        reader, writer = await asyncio.open_connection(HOST, self.port)
                    except OSError as e:
                        if not self.terminated:  # refused after SIGTERM is fine
                            tally.error(route, f"connect: {type(e).__name__}")
                        continue
                if not go.is_set():
                    continue  # paused while connecting: no new request
                self.sent += 1
                number = self.sent
                t0 = time.perf_counter()
                self.in_flight[n] = (route, number, t0)
                try:
                    writer.write(route.raw)
                    status, body, keep_alive = await asyncio.wait_for(read_answer(reader), 30)
                except (OSError, Closed, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                    kind = failure_kind(e)
                    tally.error(route, kind)
                    self.outcomes[number] = kind
                    writer.close()
                    reader = writer = None
                    continue
                finally:
                    self.in_flight.pop(n, None)
                    last_used = time.perf_counter()
                ms = (time.perf_counter() - t0) * 1e3
                ok = body_ok(route, status, body)
                tally.answer(route, status, ms, ok)
                self.outcomes[number] = "expected" if ok and status == route.expect else (
                    f"unexpected {status}")
                if not keep_alive:
                    writer.close()
                    reader = writer = None
            finally:
                self.busy -= 1
        if writer is not None:
            writer.close()

    async def abandon(self, route, tally, rng):
        """Sends the request on a new connection and hangs up before the
        answer, after 0-100 ms: half with FIN (close), half with RST."""
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port)
        except OSError as e:
            if not self.terminated:
                tally.error(route, f"connect: {type(e).__name__}")
            return
        if not self.go["faulty"].is_set():
            writer.close()  # paused while connecting: no new request
            return
        writer.write(route.raw)
        await asyncio.sleep(rng.random() * 0.1)
        if rng.random() < 0.5:
            writer.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            how = "RST"
        else:
            how = "FIN"
        writer.close()
        tally.abandon(route, how)


async def sampler(server, samples, start, stop):
    while not stop.is_set():
        s = server.sample()
        s["t"] = time.perf_counter() - start
        samples.append(s)
        try:
            await asyncio.wait_for(stop.wait(), 2.0)
        except asyncio.TimeoutError:
            pass


async def prepare(port, all_routes):
    """Scrapes the tokens, sends each route once, keeps the 200 bodies."""
    tokens = {}
    for path in ("/", "/faults"):
        status, body, _ = await fetch_once(port, request_bytes(port, path))
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
        for name, island_id, token in re.findall(
            r'<mochi-server-island component-name="([^"]+)" island-id="([^"]+)"'
            r' signed-props="([^"]+)"', body.decode()):
            tokens[name] = f"?p={token}&i={island_id}"
    for r in all_routes:
        if r.island is None:
            r.path = r.name.split(" ", 1)[1]
        elif r.island in tokens:
            r.path = f"/_mochi/island/{r.island}{tokens[r.island]}"
        else:
            raise SystemExit(f"no {r.island} island on / or /faults: {sorted(tokens)}")
        r.raw = request_bytes(port, r.path, r.cross_site)
        if r.abandon:
            continue
        status, body, _ = await fetch_once(port, r.raw)
        if status != r.expect:
            raise SystemExit(f"{r.name}: {status}, expected {r.expect}: {body[:200]!r}")
        if status == 200:
            r.body = body
        elif not body.decode().startswith(r.body):
            raise SystemExit(f"{r.name}: body {body[:200]!r}, expected {r.body!r}…")


async def soak(args, server, all_routes):
    by_name = {r.name: r for r in all_routes}
    await prepare(server.port, all_routes)
    log(f"routes: {len(all_routes)}, each answered as expected once; "
        f"{args.connections} connections, slices of {args.slice} s")

    load = Load(server.port, all_routes, args.connections, args.faulty, args.seed)
    load.start()
    await load.run("faults", Tally(), args.warmup)
    await load.close()
    await asyncio.sleep(1)
    start = server.sample()
    log(f"start (after {args.warmup} s warm-up, no connection open): "
        f"VmRSS {start['rss']} KiB, VmHWM {start['hwm']} KiB, {start['fds']} fds")

    tallies = {"baseline": Tally(), "faults": Tally()}
    samples, stop = [], asyncio.Event()
    t0 = time.perf_counter()
    sampling = asyncio.create_task(sampler(server, samples, t0, stop))
    load = Load(server.port, all_routes, args.connections, args.faulty, args.seed + 1)
    load.start()
    slices = max(1, round(args.seconds / args.slice))
    for i in range(slices):
        for phase in ("baseline", "faults"):
            cpu = server.cpu_seconds()
            await load.run(phase, tallies[phase], args.seconds / slices)
            tallies[phase].cpu += server.cpu_seconds() - cpu
        t = tallies["faults"]
        log(f"  slice {i + 1}/{slices}: {tallies['baseline'].answered()} baseline and "
            f"{t.answered()} faulty-mix answers so far, "
            f"{t.unexpected(by_name) + tallies['baseline'].unexpected(by_name)} unexpected; "
            f"server VmRSS {server.status('VmRSS')} KiB, {server.fds()} fds")
    await load.close()
    stop.set()
    await sampling
    await asyncio.sleep(args.settle)
    end = server.sample()
    log(f"end (all connections closed, {args.settle} s later): VmRSS {end['rss']} KiB, "
        f"VmHWM {end['hwm']} KiB, {end['fds']} fds")

    shutdown = await graceful_shutdown(args, server, all_routes)
    return tallies, start, end, samples, shutdown


async def graceful_shutdown(args, server, all_routes):
    tally = Tally()
    load = Load(server.port, all_routes, args.connections, args.faulty, args.seed + 2)
    load.start()
    load.resume("faults", tally)
    await asyncio.sleep(args.shutdown_after)
    # No coroutine runs between the snapshot and the signal, and none
    # writes a request after it.
    in_flight = dict(load.in_flight)
    t_term = time.perf_counter()
    os.kill(server.pid, signal.SIGTERM)
    load.terminated = True
    load.pause()
    await load.drained()
    drained = time.perf_counter() - t_term
    try:
        socket.create_connection((HOST, server.port), 0.5).close()
        refused = False
    except OSError:
        refused = True
    await load.close()
    try:
        code = await asyncio.get_running_loop().run_in_executor(
            None, lambda: server.proc.wait(args.shutdown_timeout))
    except subprocess.TimeoutExpired:
        code = None
    exited = time.perf_counter() - t_term
    # request -> (route name, outcome, ms between writing it and SIGTERM)
    requests = [
        (route.name, load.outcomes.get(number, "no outcome"), (t_term - t0) * 1e3)
        for route, number, t0 in in_flight.values()
    ]
    return {
        "requests": requests,
        "drained": drained,
        "refused": refused,
        "exit_code": code,
        "exited": exited,
        "tally": tally,
    }


# ---------------------------------------------------------------------------
# The report.


def report(args, all_routes, tallies, start, end, samples, shutdown, server_log):
    by_name = {r.name: r for r in all_routes}
    failures = []
    log()
    for phase in ("baseline", "faults"):
        t = tallies[phase]
        abandoned = sum(sum(by.values()) for by in t.abandoned.values())
        log(f"{phase}: {t.answered()} answers in {t.seconds:.1f} s "
            f"({t.answered() / t.seconds:.0f} req/s), {abandoned} requests abandoned; "
            f"server CPU {t.cpu:.1f} s, {t.cpu * 1e6 / max(1, t.answered()):.0f} us per answer")
    log()
    header = f"{'route':<28} {'expected':>8}  {'baseline':<18} {'faulty mix':<24} unexpected"
    log(header)
    log("-" * len(header))
    for r in all_routes:
        cells = []
        for phase in ("baseline", "faults"):
            t = tallies[phase]
            if r.abandon:
                by = t.abandoned.get(r.name, {})
                cell = " ".join(f"{how} {n}" for how, n in sorted(by.items()))
            else:
                by = t.status.get(r.name, {})
                cell = " ".join(f"{s}: {n}" for s, n in sorted(by.items()))
                errors = t.errors.get(r.name, {})
                if errors:
                    cell += " " + " ".join(f"{k}: {n}" for k, n in errors.items())
            cells.append(cell or "-")
        bad = 0
        for t in tallies.values():
            bad += sum(c for s, c in t.status.get(r.name, {}).items() if s != r.expect)
            bad += sum(t.errors.get(r.name, {}).values()) + t.bad_body.get(r.name, 0)
        expect = "closed" if r.abandon else str(r.expect)
        log(f"{r.name:<28} {expect:>8}  {cells[0]:<18} {cells[1]:<24} {bad}")
    unexpected = sum(t.unexpected(by_name) for t in tallies.values())
    log(f"unexpected answers (wrong status, wrong body or a failed request): {unexpected}")
    if unexpected:
        failures.append(f"{unexpected} unexpected answers")

    log("\nlatency of the normal routes (ms, this client's view)")
    header = (f"{'route':<28} {'baseline p50':>12} {'p99':>8}   {'faulty p50':>10} {'p99':>8}"
              f"   {'p50 x':>6} {'p99 x':>6}")
    log(header)
    log("-" * len(header))
    normal = [r for r in all_routes if r.normal]
    rows = [(r.name, [r.name]) for r in normal] + [("all normal routes", [r.name for r in normal])]
    for label, names in rows:
        stats = []
        for phase in ("baseline", "faults"):
            ms = sorted(x for n in names for x in tallies[phase].latency.get(n, []))
            stats += [percentile(ms, 0.50), percentile(ms, 0.99)]
        log(f"{label:<28} {stats[0]:>12.2f} {stats[1]:>8.2f}   {stats[2]:>10.2f} {stats[3]:>8.2f}"
            f"   {stats[2] / stats[0]:>6.2f} {stats[3] / stats[1]:>6.2f}")
    for phase in ("baseline", "faults"):
        t = tallies[phase]
        n = sum(len(t.latency.get(r.name, [])) for r in normal)
        log(f"normal-route answers in the {phase} phase: {n / t.seconds:.0f} req/s")

    log("\nserver")
    log(f"  start: VmRSS {start['rss']} KiB, VmHWM {start['hwm']} KiB, {start['fds']} fds")
    log(f"  end:   VmRSS {end['rss']} KiB, VmHWM {end['hwm']} KiB, {end['fds']} fds")
    if samples:
        log(f"  during load: VmRSS {min(s['rss'] for s in samples)}-"
            f"{max(s['rss'] for s in samples)} KiB, fds {min(s['fds'] for s in samples)}-"
            f"{max(s['fds'] for s in samples)} (every 2 s, 64 client connections open "
            f"plus abandoned ones)")
    growth = end["rss"] - start["rss"]
    rss_flat = growth <= max(1024, start["rss"] // 20)
    log(f"  VmRSS {growth:+d} KiB, VmHWM {end['hwm'] - start['hwm']:+d} KiB: "
        + ("flat" if rss_flat else "NOT flat") + " (end <= start + max(1 MiB, 5%))")
    fds_flat = end["fds"] <= start["fds"]
    log(f"  descriptors {end['fds'] - start['fds']:+d}: " + ("flat" if fds_flat else "NOT flat"))
    if not rss_flat:
        failures.append("RSS grew")
    if not fds_flat:
        failures.append("descriptors grew")
    with open(server_log, "rb") as f:
        text = f.read()
    lines = text.count(b"\n")
    log(f"  server log: {lines} lines, {len(text)} bytes ({server_log}): "
        f"{text.count(b'panicked at')} panic messages, "
        f"{text.count(b'passed its')} deadline lines")

    s = shutdown
    log(f"\ngraceful shutdown: SIGTERM after {args.shutdown_after} s of the faulty mix")
    requests = s["requests"]
    log(f"  in flight at SIGTERM (written, not fully answered): {len(requests)} requests; "
        f"all ended {s['drained'] * 1e3:.0f} ms after SIGTERM")
    outcomes = sorted({o for _, o, _ in requests})
    names = [r.name for r in all_routes if any(name == r.name for name, _, _ in requests)]
    log(f"  {'route':<28} " + " ".join(f"{o:>18}" for o in outcomes))
    for name in names:
        log(f"  {name:<28} " + " ".join(
            f"{sum(1 for n, o2, _ in requests if n == name and o2 == o):>18}" for o in outcomes))
    for o in outcomes:
        ages = [age for _, o2, age in requests if o2 == o]
        log(f"  {o}: {len(ages)}, written {min(ages):.1f}-{max(ages):.1f} ms before SIGTERM")
    log('  ("expected": the full answer, with the status and body of its route; "closed '
        'unanswered": the connection closed before any byte of an answer, which a server '
        f"may do to a request it has not read yet: allowed if written < {UNREAD_MS} ms "
        "before SIGTERM)")
    log(f"  a new connection {'was refused' if s['refused'] else 'was still ACCEPTED'} "
        "once they were done")
    if s["exit_code"] is None:
        log(f"  the server had NOT exited {args.shutdown_timeout} s after SIGTERM")
        failures.append("no exit after SIGTERM")
    else:
        log(f"  the server exited with code {s['exit_code']}, {s['exited'] * 1e3:.0f} ms "
            "after SIGTERM")
        if s["exit_code"] != 0:
            failures.append(f"exit code {s['exit_code']}")
    # A request written long before SIGTERM has been read by any server that
    # is not stalled (normal p99 latencies are a few ms here): closing its
    # connection unanswered would mean dropping a request it had started.
    lost = sum(1 for _, o, age in requests if o != "expected" and (
        o != "closed unanswered" or age >= UNREAD_MS))
    if lost:
        failures.append(f"{lost} requests in flight at SIGTERM were reset, cut short, "
                        f"answered wrongly or closed unanswered {UNREAD_MS} ms after writing")

    total = sum(t.answered() for t in tallies.values()) + s["tally"].answered()
    unanswered = sum(by.get("closed unanswered", 0) for by in s["tally"].errors.values())
    if s["tally"].unexpected(by_name) - unanswered:
        failures.append("unexpected answers in the shutdown phase")
    log(f"\nrequests served: {total} answers in all (baseline, faulty mix and shutdown "
        f"phases; warm-up not counted)")
    log("load average at end: " + open("/proc/loadavg").read().strip())
    if failures:
        log("SOAK FAILED: " + "; ".join(failures))
        return 1
    log("soak passed: every answer was the expected one for its route")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60,
                    help="seconds of the faulty mix, and as many of the baseline (default 60)")
    ap.add_argument("--slice", type=float, default=10, help="seconds per interleaved slice")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--faulty", type=int, default=16,
                    help="of the connections, how many send the faulty routes (default 16)")
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--settle", type=float, default=3,
                    help="seconds between the last request and the end sample")
    ap.add_argument("--shutdown-after", type=float, default=3,
                    help="seconds of load before SIGTERM")
    ap.add_argument("--shutdown-timeout", type=float, default=40)
    ap.add_argument("--workers", type=int, default=None,
                    help="actix workers (default: 1 when pinned, else the server's default)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--debug", action="store_true", help="the debug build (a smoke test)")
    ap.add_argument("--no-build", action="store_true", help="use the built binary")
    args = ap.parse_args()

    profile = "debug" if args.debug else "release"
    binary = os.path.join(target_dir(), profile, "example-soak")
    if not args.no_build:
        log(f"building example-soak ({profile})…")
        cmd = ["cargo", "build", "-p", "example-soak"] + ([] if args.debug else ["--release"])
        subprocess.run(cmd, cwd=ROOT, check=True)
    cores = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(cores) >= 2 and shutil.which("taskset")
    server_core, client_core = (cores[0], cores[1]) if pin else (None, None)
    workers = args.workers or (1 if pin else len(cores))
    if pin:
        os.sched_setaffinity(0, {client_core})
    server_log = tempfile.NamedTemporaryFile(prefix="soak-server-", suffix=".log",
                                             delete=False).name
    server = Server(binary, free_port(), workers, server_core, server_log)
    log(f"{profile} server pid {server.pid}, {workers} worker(s), "
        + (f"pinned to core {server_core}; this client on core {client_core}" if pin
           else "not pinned (server and client share the cores)"))
    log("load average at start: " + open("/proc/loadavg").read().strip())
    all_routes = routes()
    try:
        results = asyncio.run(soak(args, server, all_routes))
    finally:
        server.stop()
    return report(args, all_routes, *results, server_log)


if __name__ == "__main__":
    sys.exit(main())
