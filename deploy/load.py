#!/usr/bin/env python3
"""Bounded load on the scaled-out shop (run by deploy/scale-out.sh).

Browsing threads, each signed in, fetch pages through nginx and then every
server island on them, as the client runtime does. Meanwhile one signed-in
shopper adds items, in turn through each shop instance directly, and reads
its cart island back through nginx. Checks, then prints figures:

- no failed island load and no unexpected status (pages and islands 200
  with the right content type; every add 200 with the expected count);
- pages come from nginx's cache (hits), private islands never do;
- at the end, every instance and nginx show the shopper the same count.

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

MAX_SECONDS = 120
PAGES = (
    ["/"]
    + [f"/product/{i}" for i in range(1, 9)]
    + [f"/search?q={q}" for q in ("daifuku", "matcha", "mochi", "sakura")]
)
# Islands that opt into a shared cache; every other one must be private.
PUBLIC_ISLANDS = {"Recommendations", "SearchResults"}
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


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)  # kind -> [seconds]
        self.cache = collections.defaultdict(collections.Counter)  # kind -> status
        self.failures = []

    def record(self, kind, elapsed, cache_status):
        with self.lock:
            self.latency[kind].append(elapsed)
            self.cache[kind][cache_status or "-"] += 1

    def fail(self, msg):
        with self.lock:
            if len(self.failures) < 1000:
                self.failures.append(msg)


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
    if headers.get("Cache-Control") != "public, max-age=60":
        stats.fail(f"page {path}: Cache-Control {headers.get('Cache-Control')!r}")
    if headers.get("Set-Cookie"):
        stats.fail(f"page {path}: sets a cookie")
    if "<mochi-server-island" not in body:
        stats.fail(f"page {path}: no server island in it")
    return True


def fetch_island(stats, client, name, url, cookie):
    try:
        status, headers, body, elapsed = client.request("GET", url, {"Cookie": cookie})
    except (http.client.HTTPException, OSError) as e:
        stats.fail(f"island {name}: {e!r}")
        return None
    public = name in PUBLIC_ISLANDS
    kind = "public island" if public else "private island"
    cache_status = headers.get("X-Cache-Status")
    stats.record(kind, elapsed, cache_status)
    content_type = headers.get("Content-Type", "")
    if status != 200 or not content_type.startswith("text/html"):
        stats.fail(f"island {name}: status {status}, {content_type!r}: {body[:120]!r}")
        return None
    cache_control = headers.get("Cache-Control", "")
    if public and cache_control != "public, max-age=60":
        stats.fail(f"island {name}: Cache-Control {cache_control!r}")
    if not public:
        if cache_control != "private, no-store":
            stats.fail(f"private island {name}: Cache-Control {cache_control!r}")
        if cache_status not in (None, "MISS", "BYPASS", "-"):
            stats.fail(f"private island {name} came from the cache: {cache_status}")
    return body


def browse(stats, nginx, cookie, deadline, seed):
    rng = random.Random(seed)
    client = Client(nginx)
    while time.monotonic() < deadline:
        path = rng.choice(PAGES)
        try:
            status, headers, body, elapsed = client.request("GET", path, {"Cookie": cookie})
        except (http.client.HTTPException, OSError) as e:
            stats.fail(f"page {path}: {e!r}")
            continue
        stats.record("page", elapsed, headers.get("X-Cache-Status"))
        if not check_page(stats, path, status, headers, body):
            continue
        for name, url in island_urls(body):
            fetch_island(stats, client, name, url, cookie)


def cart_island_count(stats, client, cookie):
    """The count the CartCount island shows, reached as the browser does."""
    status, headers, page, _ = client.request("GET", "/", {"Cookie": cookie})
    if status != 200:
        stats.fail(f"/ for the cart island: status {status}")
        return None
    url = dict(island_urls(page)).get("CartCount")
    if url is None:
        stats.fail("no CartCount island on /")
        return None
    body = fetch_island(stats, client, "CartCount", url, cookie)
    m = re.search(r">(\d+) items?<", body or "")
    return int(m.group(1)) if m else None


def shop(stats, nginx, instances, cookie, deadline, result):
    """Adds items through each instance in turn; checks every answer."""
    via_nginx = Client(nginx)
    direct = [Client(base) for base in instances]
    expected = 0
    adds_per_instance = collections.Counter()
    n = 0
    while time.monotonic() < deadline and n < 600:
        i = n % len(direct)
        product = n % 8 + 1
        try:
            status, headers, body, elapsed = direct[i].request(
                "POST",
                "/cart",
                {
                    "Cookie": cookie,
                    "Accept": "application/json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                f"product_id={product}",
            )
        except (http.client.HTTPException, OSError) as e:
            stats.fail(f"add via {instances[i]}: {e!r}")
            n += 1
            continue
        stats.record("add to cart", elapsed, headers.get("X-Cache-Status"))
        if status != 200:
            stats.fail(f"add via {instances[i]}: status {status}: {body[:120]!r}")
        else:
            expected += 1
            adds_per_instance[instances[i]] += 1
            got = json.loads(body).get("count")
            if got != expected:
                stats.fail(f"add via {instances[i]}: count {got}, expected {expected}")
        if n % 5 == 4:
            shown = cart_island_count(stats, via_nginx, cookie)
            if shown != expected:
                stats.fail(f"cart island through nginx shows {shown}, expected {expected}")
        n += 1
        time.sleep(0.05)
    result["expected"] = expected
    result["adds"] = adds_per_instance


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nginx", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--instances", required=True, help="comma-separated base URLs")
    ap.add_argument("--seconds", type=float, default=45)
    ap.add_argument("--browsers", type=int, default=4)
    ap.add_argument("--access-log", help="nginx access log, for per-instance figures")
    args = ap.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    instances = args.instances.split(",")
    stats = Stats()
    nginx = Client(args.nginx)

    shopper = sign_in(nginx, "shopper")
    browsers = [sign_in(nginx, f"browser{i}") for i in range(args.browsers)]
    print(f"load: {seconds:.0f} s, {len(browsers)} browsing sessions and one shopper, "
          f"{len(instances)} instances behind {args.nginx}", flush=True)

    started = time.monotonic()
    deadline = started + seconds
    result = {}
    threads = [
        threading.Thread(target=browse, args=(stats, args.nginx, c, deadline, i))
        for i, c in enumerate(browsers)
    ]
    threads.append(threading.Thread(
        target=shop, args=(stats, args.nginx, instances, shopper, deadline, result)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started

    # The same cart everywhere: every instance directly, and nginx.
    expected = result.get("expected")
    counts = {}
    for base in instances + [args.nginx]:
        counts[base] = cart_island_count(stats, Client(base), shopper)
        if counts[base] != expected:
            stats.fail(f"{base} shows {counts[base]} items, expected {expected}")

    # Figures.
    total = sum(len(v) for v in stats.latency.values())
    print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.0f} req/s")
    print(f"{'kind':<16}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'>400ms':>8}"
          "  cache (X-Cache-Status)")
    for kind in ("page", "private island", "public island", "add to cart"):
        lat = stats.latency.get(kind, [])
        slow = sum(1 for x in lat if x > 0.4)
        cache = ", ".join(f"{k} {v}" for k, v in sorted(stats.cache[kind].items()))
        print(f"{kind:<16}{len(lat):>8}{percentile(lat, 50) * 1000:>9.1f}"
              f"{percentile(lat, 95) * 1000:>9.1f}{percentile(lat, 99) * 1000:>9.1f}"
              f"{slow:>8}  {cache}")
    adds = result.get("adds", {})
    print(f"\nshopper: {expected} items added "
          f"({', '.join(f'{n} via {b}' for b, n in sorted(adds.items()))}); "
          f"cart island shows {', '.join(f'{v} on {k}' for k, v in counts.items())}")
    if args.access_log:
        upstreams = collections.Counter()
        statuses = collections.Counter()
        with open(args.access_log, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.search(r" cache=(\S+) upstream=(\S+)", line)
                if m:
                    statuses[m.group(1)] += 1
                    for u in m.group(2).split(","):
                        upstreams[u.strip()] += 1
        print("nginx log: cache " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
              + "; to instances " + ", ".join(f"{k} {v}" for k, v in sorted(upstreams.items())))

    # Checks.
    page_hits = stats.cache["page"]["HIT"]
    if page_hits == 0:
        stats.fail("no page was served from nginx's cache")
    if not stats.latency.get("private island"):
        stats.fail("no private island was requested")
    if expected is None or expected == 0:
        stats.fail("the shopper added nothing")
    if stats.failures:
        print(f"\nFAILED: {len(stats.failures)} problem(s):")
        for f in stats.failures[:30]:
            print(f"  {f}")
        return 1
    print(f"\nok: no failed island load, no unexpected status; {page_hits} page cache hits, "
          f"0 private island hits; the same cart count ({expected}) on every instance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
