#!/usr/bin/env python3
"""Bounded load on the scaled-out shop (run by deploy/scale-out.sh).

Browsing threads, each signed in, fetch pages (public and private)
through nginx and then every server island on them, as the client runtime
does. Meanwhile one signed-in
shopper changes its cart (adds an item; now and then empties a line), in
turn through each shop instance directly, and reads its cart island back,
through nginx and straight from an instance. With `--chromedriver`,
headless Chromium loads pages through nginx too and waits for every island
on them (deploy/browser.py). Checks, then prints figures:

- no failed island load and no unexpected status (pages and islands 200
  with the right content type; every cart change 200 with the expected
  count; in nginx's access log, nothing but 200, the sign-ins' 303 and
  Chromium's favicon 404);
- public pages come from nginx's cache (hits), private pages and islands
  never do;
- the cart count is the same whichever instance answers;
- with `--phases`: the load covers every phase of the rolling key rotation
  the script performs (island loads counted per phase), instances being
  restarted are left alone by the shopper, and once the script says the
  original key is retired every instance refuses a token signed with it.

The phases file is appended to by the script, one event a line:

    UNIX_TIME phase ID DESCRIPTION   a new phase begins
    UNIX_TIME down N                 instance N is being restarted
    UNIX_TIME up N                   instance N answers again
    UNIX_TIME retired                the original key is no longer accepted
    UNIX_TIME stop                   end the load

python3 standard library only. Exits 1 if a check fails.
"""

import argparse
import collections
import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.parse

import browser  # deploy/browser.py, next to this file

MAX_SECONDS = 120
PAGES = (
    ["/"]
    + [f"/product/{i}" for i in range(1, 9)]
    + [f"/search?q={q}" for q in ("daifuku", "matcha", "mochi", "sakura")]
)
# Personal pages: private, rendered by whichever instance nginx picks, so
# their islands are often verified by another one (which is what a rotation
# in two steps breaks; the cached pages above hide it for a minute).
PRIVATE_PAGES = ["/cart", "/account"]
BROWSER_PAGES = PAGES + PRIVATE_PAGES
# Islands that opt into a shared cache; every other one must be private.
PUBLIC_ISLANDS = {"Recommendations", "SearchResults"}
# What nginx calls an answer it took from its cache.
FROM_CACHE = {"HIT", "STALE", "UPDATING", "REVALIDATED"}
ISLAND_RE = re.compile(
    r'<mochi-server-island component-name="([A-Za-z0-9]+)" island-id="([A-Za-z0-9_-]+)"'
    r' signed-props="([A-Za-z0-9_.-]+)"'
)
COOKIE_NAME = "mochi_session"


class Client:
    """One keep-alive HTTP/1.1 connection to one host:port."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def request(self, method, path, headers=None, body=None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
            try:
                start = time.monotonic()
                self.conn.request(method, path, body=body, headers=headers or {})
                res = self.conn.getresponse()
                data = res.read()
                elapsed = time.monotonic() - start
                return res.status, res.headers, data.decode("utf-8", "replace"), elapsed
            except (http.client.HTTPException, OSError):
                # A keep-alive connection the server closed: retry once on
                # a new one; a second failure counts.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise


class Phases:
    """The script's phase file, followed by a thread (every 50 ms). Without
    a file there is one phase, `load`."""

    def __init__(self, path, started_at):
        self.path = path
        self.started_at = started_at  # time.time() at the start of the load
        self.lock = threading.Lock()
        self.reading = threading.Lock()  # one reader of the file at a time
        self.offset = 0
        self.pending = ""
        self.list = [("load", "the whole load", started_at)]  # (id, what, unix time)
        self.down = set()
        self.restarts = collections.Counter()
        self.retired = False
        self._stop = False
        if path:
            self.list = []
            self.poll()
            threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self):
        while True:
            time.sleep(0.05)
            self.poll()

    def poll(self):
        """Reads what the script has appended since the last poll."""
        if not self.path:
            return
        with self.reading:
            try:
                with open(self.path, encoding="utf-8") as f:
                    f.seek(self.offset)
                    text = f.read()
                    self.offset = f.tell()
            except FileNotFoundError:
                return
            lines = (self.pending + text).split("\n")
            self.pending = lines.pop()  # an incomplete last line waits
            self._apply(lines)

    def _apply(self, lines):
        with self.lock:
            for line in lines:
                parts = line.split(None, 3)
                if len(parts) < 2:
                    continue
                at, event = float(parts[0]), parts[1]
                if event == "phase":
                    self.list.append((parts[2], parts[3] if len(parts) > 3 else "", at))
                elif event == "down":
                    self.down.add(int(parts[2]))
                    self.restarts[int(parts[2])] += 1
                elif event == "up":
                    self.down.discard(int(parts[2]))
                elif event == "retired":
                    self.retired = True
                elif event == "stop":
                    self._stop = True

    def current(self):
        with self.lock:
            return self.list[-1][0] if self.list else "start"

    def restarting(self, i, restarts_before):
        """Whether instance `i` is down, or was restarted since
        `restarts_of(i)` gave `restarts_before`. Reads the file first: the
        script writes `down N` before it stops the instance, so a refused
        connection is always explained by then."""
        self.poll()
        return self.is_down(i) or self.restarts_of(i) != restarts_before

    def restarts_of(self, i):
        with self.lock:
            return self.restarts[i]

    def is_down(self, i):
        with self.lock:
            return i in self.down

    def stopped(self):
        with self.lock:
            return self._stop


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)  # kind -> [seconds]
        self.cache = collections.defaultdict(collections.Counter)  # kind -> status
        self.per_phase = collections.defaultdict(collections.Counter)  # phase -> what -> n
        self.failures = []

    def record(self, kind, elapsed, cache_status):
        with self.lock:
            self.latency[kind].append(elapsed)
            self.cache[kind][cache_status or "-"] += 1

    def count(self, phase, what, n=1):
        with self.lock:
            self.per_phase[phase][what] += n

    def fail(self, msg):
        with self.lock:
            if len(self.failures) < 1000:
                self.failures.append(msg)

    def browser_page(self, phase, loaded, hydrated, problems, path):
        """One page Chromium loaded: its islands, or what went wrong."""
        if problems:
            self.count(phase, "browser failed")
            for p in problems:
                self.fail(f"browser {path} ({phase}): {p}")
        else:
            self.count(phase, "browser pages")
            self.count(phase, "browser islands", loaded)
            self.count(phase, "browser hydrated", hydrated)


def session_cookie(headers):
    """The `Cookie` header value that sends back the session cookie set."""
    for value in headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        if name.strip() == COOKIE_NAME:
            return f"{COOKIE_NAME}={rest.split(';', 1)[0]}"
    return None


def sign_in(client, name):
    status, headers, body, _ = client.request(
        "POST",
        "/signin",
        {"Content-Type": "application/x-www-form-urlencoded"},
        urllib.parse.urlencode({"name": name}),
    )
    token = session_cookie(headers)
    if status != 303 or not token:
        raise SystemExit(f"sign-in as {name} failed: {status} {body[:200]}")
    return token


def island_urls(page):
    return [
        (name, f"/_mochi/island/{name}?p={token}&i={iid}")
        for name, iid, token in ISLAND_RE.findall(page)
    ]


def check_page(stats, path, status, headers, body):
    if status != 200:
        stats.fail(f"page {path}: status {status}")
        return False
    want = "private, no-store" if path in PRIVATE_PAGES else "public, max-age=60"
    if headers.get("Cache-Control") != want:
        stats.fail(f"page {path}: Cache-Control {headers.get('Cache-Control')!r}")
    if path not in PRIVATE_PAGES and headers.get("Set-Cookie"):
        stats.fail(f"page {path}: sets a cookie")
    if "<mochi-server-island" not in body:
        stats.fail(f"page {path}: no server island in it")
    return True


def fetch_island(stats, phases, client, name, url, cookie, raise_errors=False):
    """One island load as the runtime does it; counted in the phase it
    started in. Returns the HTML, or None if the load failed. With
    `raise_errors`, a connection error is the caller's to judge."""
    phase = phases.current()
    try:
        status, headers, body, elapsed = client.request("GET", url, {"Cookie": cookie})
    except (http.client.HTTPException, OSError) as e:
        if raise_errors:
            raise
        stats.count(phase, "island failed")
        stats.fail(f"island {name} ({phase}): {e!r}")
        return None
    public = name in PUBLIC_ISLANDS
    kind = "public island" if public else "private island"
    cache_status = headers.get("X-Cache-Status")
    stats.record(kind, elapsed, cache_status)
    content_type = headers.get("Content-Type", "")
    if status != 200 or not content_type.startswith("text/html"):
        stats.count(phase, "island failed")
        stats.fail(f"island {name} ({phase}): status {status}, {content_type!r}: {body[:120]!r}")
        return None
    stats.count(phase, "island loads")
    cache_control = headers.get("Cache-Control", "")
    if public and cache_control != "public, max-age=60":
        stats.fail(f"island {name}: Cache-Control {cache_control!r}")
    if not public:
        if cache_control != "private, no-store":
            stats.fail(f"private island {name}: Cache-Control {cache_control!r}")
        if cache_status in FROM_CACHE:
            stats.fail(f"private island {name} came from the cache: {cache_status}")
    return body


def running(deadline, phases):
    return time.monotonic() < deadline and not phases.stopped()


def browse(stats, phases, nginx, cookie, deadline, seed):
    rng = random.Random(seed)
    client = Client(nginx)
    while running(deadline, phases):
        path = rng.choice(BROWSER_PAGES)
        try:
            status, headers, body, elapsed = client.request("GET", path, {"Cookie": cookie})
        except (http.client.HTTPException, OSError) as e:
            stats.fail(f"page {path}: {e!r}")
            continue
        kind = "private page" if path in PRIVATE_PAGES else "page"
        stats.record(kind, elapsed, headers.get("X-Cache-Status"))
        if not check_page(stats, path, status, headers, body):
            continue
        for name, url in island_urls(body):
            fetch_island(stats, phases, client, name, url, cookie)


def cart_island_count(stats, phases, client, cookie, raise_errors=False):
    """The count the CartCount island shows, reached as the browser does.
    Connection errors are raised (the page's always, the island's with
    `raise_errors`)."""
    status, headers, page, _ = client.request("GET", "/", {"Cookie": cookie})
    if status != 200:
        stats.fail(f"/ for the cart island: status {status}")
        return None
    url = dict(island_urls(page)).get("CartCount")
    if url is None:
        stats.fail("no CartCount island on /")
        return None
    body = fetch_island(stats, phases, client, "CartCount", url, cookie, raise_errors)
    m = re.search(r">(\d+) items?<", body or "")
    return int(m.group(1)) if m else None


# The shopper empties a cart line that reaches this (the shop caps a line at 99).
LINE_LIMIT = 40


def shop(stats, phases, nginx, instances, cookie, deadline, result):
    """Changes the cart through each instance in turn (adds one item, or
    empties a line that reached LINE_LIMIT); checks every answer and,
    every fifth change, the cart island through nginx and straight from
    the next instance. An instance the script is restarting is skipped."""
    via_nginx = Client(nginx)
    direct = [Client(base) for base in instances]
    expected = 0
    lines = collections.Counter()  # product -> quantity
    changes_per_instance = collections.Counter()
    skipped = 0
    n = 0
    while running(deadline, phases) and n < 5000:
        i = n % len(direct)
        n += 1
        restarts = phases.restarts_of(i)
        if phases.is_down(i):
            skipped += 1
            continue
        product = n % 8 + 1
        delta = 1 if lines[product] < LINE_LIMIT else -lines[product]
        try:
            status, headers, body, elapsed = direct[i].request(
                "POST",
                "/cart",
                {
                    "Cookie": cookie,
                    "Accept": "application/json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                f"product_id={product}&quantity={delta}",
            )
        except (http.client.HTTPException, OSError) as e:
            # Refused because the script began restarting it meanwhile: a
            # real client would not have been sent there. Graceful
            # shutdown answers what it accepted, so nothing was added.
            if phases.restarting(i, restarts):
                skipped += 1
            else:
                stats.fail(f"cart change via {instances[i]}: {e!r}")
            continue
        stats.record("cart change", elapsed, headers.get("X-Cache-Status"))
        if status != 200:
            stats.fail(f"cart change via {instances[i]}: status {status}: {body[:120]!r}")
        else:
            expected += delta
            lines[product] += delta
            changes_per_instance[instances[i]] += 1
            answer = json.loads(body)
            if (answer.get("count"), answer.get("quantity")) != (expected, lines[product]):
                stats.fail(f"cart change via {instances[i]}: {answer}, expected count "
                           f"{expected}, quantity {lines[product]}")
        if n % 5 == 0:
            try:
                shown = cart_island_count(stats, phases, via_nginx, cookie)
            except (http.client.HTTPException, OSError) as e:
                shown = repr(e)
            if shown != expected:
                stats.fail(f"cart island through nginx shows {shown}, expected {expected}")
            j = (i + 1) % len(direct)
            restarts = phases.restarts_of(j)
            if not phases.is_down(j):
                # Straight to an instance, which the script may stop
                # between the page and its island.
                try:
                    shown = cart_island_count(stats, phases, direct[j], cookie, True)
                    if shown != expected:
                        stats.fail(f"cart island on {instances[j]} shows {shown}, "
                                   f"expected {expected}")
                except (http.client.HTTPException, OSError) as e:
                    if not phases.restarting(j, restarts):
                        stats.count(phases.current(), "island failed")
                        stats.fail(f"cart island on {instances[j]}: {e!r}")
        time.sleep(0.05)
    result["expected"] = expected
    result["changes"] = changes_per_instance
    result["skipped"] = skipped


def read_access_log(path, stats):
    """Figures from nginx's access log (every client, Chromium included),
    and its checks: statuses, and which answers came from the cache."""
    line_re = re.compile(
        r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \d+ '
        r"cache=(?P<cache>\S+) upstream=(?P<upstream>.*?) upstream_status=(?P<ustatus>.*?) rt="
    )
    fig = {
        "requests": 0,
        "page": collections.Counter(),
        "private page": collections.Counter(),
        "private island": collections.Counter(),
        "public island": collections.Counter(),
        "other": collections.Counter(),
        "statuses": collections.Counter(),
        "unexpected": collections.Counter(),
        "upstreams": collections.Counter(),
        "passed on": 0,
    }
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = line_re.search(line)
            if not m:
                stats.fail(f"nginx log line not understood: {line.strip()[:160]}")
                continue
            fig["requests"] += 1
            method, target, status, cache = m["method"], m["path"], int(m["status"]), m["cache"]
            route = target.split("?", 1)[0]
            fig["statuses"][status] += 1
            expected = (
                status == 200
                or (status == 303 and method == "POST" and route == "/signin")
                or (status == 404 and route == "/favicon.ico")  # Chromium asks
            )
            if not expected:
                fig["unexpected"][f"{status} {method} {route}"] += 1
            if route.startswith("/_mochi/island/"):
                name = route.rsplit("/", 1)[1]
                kind = "public island" if name in PUBLIC_ISLANDS else "private island"
                fig[kind][cache] += 1
                if kind == "private island" and cache in FROM_CACHE:
                    stats.fail(f"nginx log: private island {name} served from the cache ({cache})")
            elif route.startswith("/_mochi/") or route == "/favicon.ico" or method != "GET":
                fig["other"][cache] += 1
            elif route in PRIVATE_PAGES:
                fig["private page"][cache] += 1
                if cache in FROM_CACHE:
                    stats.fail(f"nginx log: private page {route} served from the cache ({cache})")
            else:
                fig["page"][cache] += 1
            addrs = [u.strip() for u in m["upstream"].split(",") if u.strip() not in ("", "-")]
            fig["upstreams"].update(addrs)
            if len(addrs) > 1:
                fig["passed on"] += 1  # nginx tried the next instance
    for what, n in sorted(fig["unexpected"].items()):
        stats.fail(f"nginx log: unexpected status {what} ({n}x)")
    return fig


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def counts(counter):
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nginx", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--instances", required=True, help="comma-separated base URLs")
    ap.add_argument("--seconds", type=float, default=45,
                    help=f"how long to load (at most {MAX_SECONDS}); with --phases, the cap")
    ap.add_argument("--browsers", type=int, default=4, help="browsing threads (HTTP)")
    ap.add_argument("--access-log", help="nginx access log, for its figures and checks")
    ap.add_argument("--phases", help="the script's phase file (see above)")
    ap.add_argument("--ready", help="a file to create once every client is running")
    ap.add_argument("--chromedriver", help="http://127.0.0.1:PORT of a running chromedriver")
    ap.add_argument("--chrome", default="/usr/bin/chromium", help="Chromium's path")
    args = ap.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    instances = args.instances.split(",")
    stats = Stats()
    nginx = Client(args.nginx)

    # A token signed with the key the instances start with, kept for the
    # end: after a rotation it must be refused.
    status, _, page, _ = Client(instances[0]).request("GET", "/")
    first_token = dict(island_urls(page)).get("CartCount") if status == 200 else None
    if first_token is None:
        raise SystemExit(f"no CartCount island on {instances[0]}/ ({status})")

    shopper = sign_in(nginx, "shopper")
    browsers = [sign_in(nginx, f"browser{i}") for i in range(args.browsers)]
    started_at = time.time()
    started = time.monotonic()
    deadline = started + seconds
    phases = Phases(args.phases, started_at)
    result = {}
    threads = [
        threading.Thread(target=browse, args=(stats, phases, args.nginx, c, deadline, i))
        for i, c in enumerate(browsers)
    ]
    threads.append(threading.Thread(
        target=shop, args=(stats, phases, args.nginx, instances, shopper, deadline, result)))
    chromium = threading.Event()
    if args.chromedriver:
        def chromium_loop():
            browser.loop(stats, phases, args.chromedriver, args.chrome, args.nginx,
                         BROWSER_PAGES, deadline, on_ready=chromium.set)
        threads.append(threading.Thread(target=chromium_loop))
    else:
        chromium.set()
    print(f"load: up to {seconds:.0f} s, {len(browsers)} browsing sessions, one shopper"
          f"{', headless Chromium' if args.chromedriver else ''}; "
          f"{len(instances)} instances behind {args.nginx}", flush=True)
    for t in threads:
        t.start()
    if args.ready:
        chromium.wait(timeout=60)
        with open(args.ready, "w") as f:
            f.write("ready\n")
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    if args.phases and not phases.stopped():
        stats.fail(f"the load reached its cap ({seconds:.0f} s) before the script said stop: "
                   "the rotation was not all under load (raise LOAD_SECONDS)")

    # The same cart everywhere: every instance directly, and nginx.
    expected = result.get("expected")
    shown = {}
    for base in instances + [args.nginx]:
        shown[base] = cart_island_count(stats, phases, Client(base), shopper)
        if shown[base] != expected:
            stats.fail(f"{base} shows {shown[base]} items, expected {expected}")

    # The first key's token: refused everywhere once it is retired.
    refused = {}
    for base in instances:
        status, _, _, _ = Client(base).request("GET", first_token, {"Cookie": shopper})
        refused[base] = status
        want = 403 if phases.retired else 200
        if status != want:
            stats.fail(f"{base} answers {status} to a token of the first key, expected {want}")

    # Figures.
    total = sum(len(v) for v in stats.latency.values())
    print(f"\n== figures\n{total} HTTP requests by the load threads in {elapsed:.1f} s: "
          f"{total / elapsed:.0f} req/s")
    print(f"{'kind':<16}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'>400ms':>8}"
          "  cache (X-Cache-Status)")
    for kind in ("page", "private page", "private island", "public island", "cart change"):
        lat = stats.latency.get(kind, [])
        slow = sum(1 for x in lat if x > 0.4)
        print(f"{kind:<16}{len(lat):>8}{percentile(lat, 50) * 1000:>9.1f}"
              f"{percentile(lat, 95) * 1000:>9.1f}{percentile(lat, 99) * 1000:>9.1f}"
              f"{slow:>8}  {counts(stats.cache[kind])}")

    print(f"\n{'phase':<10}{'at s':>7}{'for s':>7}{'island loads':>14}{'failed':>8}"
          f"{'Chromium pages':>16}{'islands':>9}{'hydrated':>10}{'failed':>8}  what")
    bounds = [(pid, what, at - started_at) for pid, what, at in phases.list]
    for k, (pid, what, at) in enumerate(bounds):
        until = bounds[k + 1][2] if k + 1 < len(bounds) else elapsed
        c = stats.per_phase[pid]
        print(f"{pid:<10}{at:>7.1f}{until - at:>7.1f}{c['island loads']:>14}"
              f"{c['island failed']:>8}{c['browser pages']:>16}{c['browser islands']:>9}"
              f"{c['browser hydrated']:>10}{c['browser failed']:>8}  {what}")
        if not c["island loads"]:
            stats.fail(f"no island load during phase {pid}")
        if args.chromedriver and not c["browser pages"]:
            stats.fail(f"Chromium loaded no page during phase {pid}")
    tot = collections.Counter()
    for c in stats.per_phase.values():
        tot.update(c)
    print(f"{'total':<24}{tot['island loads']:>14}{tot['island failed']:>8}"
          f"{tot['browser pages']:>16}{tot['browser islands']:>9}{tot['browser hydrated']:>10}"
          f"{tot['browser failed']:>8}")

    changes = result.get("changes", {})
    print(f"\nshopper: {sum(changes.values())} cart changes "
          f"({', '.join(f'{n} via {b}' for b, n in sorted(changes.items()))}; "
          f"{result.get('skipped', 0)} turns skipped an instance being restarted); "
          f"the cart island shows {', '.join(f'{v} on {k}' for k, v in shown.items())}")
    print(f"a token of the first key: {', '.join(f'{s} from {b}' for b, s in refused.items())}"
          f" ({'retired' if phases.retired else 'still in use'})")
    page_hits = 0
    if args.access_log:
        fig = read_access_log(args.access_log, stats)
        page_hits = sum(fig["page"][s] for s in FROM_CACHE)
        print(f"nginx log: {fig['requests']} requests, statuses {counts(fig['statuses'])}; "
              f"{fig['passed on']} passed on to another instance")
        for kind in ("page", "private page", "private island", "public island", "other"):
            print(f"  {kind:<15} cache {counts(fig[kind])}")
        print(f"  to instances   {counts(fig['upstreams'])}")
    else:
        page_hits = stats.cache["page"]["HIT"]

    # Checks.
    if page_hits == 0:
        stats.fail("no page was served from nginx's cache")
    if not stats.latency.get("private island"):
        stats.fail("no private island was requested")
    if not changes:
        stats.fail("the shopper changed nothing")
    failed_islands = tot["island failed"] + tot["browser failed"]
    if stats.failures:
        print(f"\nFAILED: {len(stats.failures)} problem(s), {failed_islands} failed island loads "
              "or Chromium pages:")
        for f in stats.failures[:30]:
            print(f"  {f}")
        return 1
    in_chromium = (f" and {tot['browser islands']} (Chromium, on {tot['browser pages']} pages)"
                   if args.chromedriver else "")
    print(f"\nok: 0 failed island loads of {tot['island loads']} (HTTP){in_chromium}, no "
          f"unexpected status; {page_hits} page cache hits, no private page or island from "
          f"the cache; the same cart count ({expected}) on every instance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
