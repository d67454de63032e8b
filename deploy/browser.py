"""Headless Chromium for deploy/load.py: a loop that loads pages through
nginx and waits until every island on them is done, as a visitor would.

Speaks WebDriver (HTTP + JSON) to a chromedriver the caller started, with
the python3 standard library only. The browser's HTTP cache is off
(DevTools `Network.setCacheDisabled`): every page then comes through nginx,
and no page signed with a retired key can come back from the browser's own
cache (see the step-3 comment in deploy/scale-out.sh).
"""

import json
import random
import shutil
import tempfile
import time
import urllib.error
import urllib.request

# Chromium flags that work as root on a headless machine.
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,800",
]
# How long one page may take until all its islands are done.
PAGE_WAIT = 10.0

# Run in the page on every poll: the islands' states, and the first island
# not done yet scrolled into view (so `defer-on="visible"` server islands and
# `hydrate-on="visible"` hydrated ones start, one after another).
STATUS_JS = """
const server = [...document.querySelectorAll('mochi-server-island')];
const hydrated = [...document.querySelectorAll('mochi-island')];
const done = (e) => e.localName === 'mochi-server-island'
  ? e.getAttribute('mochi-state') === 'loaded'
  : e.getAttribute('mochi-state') === 'hydrated';
const failed = [...server, ...hydrated].filter((e) => e.getAttribute('mochi-state') === 'error');
const pending = [...server, ...hydrated].filter((e) => !done(e) && !failed.includes(e));
if (pending.length) pending[0].scrollIntoView({block: 'center'});
const name = (e) => `${e.localName} ${e.getAttribute('component-name')}` +
  ` (${e.getAttribute('mochi-state')}): ${e.textContent.trim().slice(0, 80)}`;
return {
  ready: document.readyState === 'complete',
  server: server.length,
  hydrated: hydrated.length,
  failed: failed.map(name),
  pending: pending.map(name),
};
"""


class WebDriverError(Exception):
    pass


class WebDriver:
    """One chromedriver session."""

    def __init__(self, driver_url):
        self.base = driver_url.rstrip("/")
        self.session = None
        self.profile = None

    def _call(self, method, path, body=None, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                answer = json.load(res)
        except urllib.error.HTTPError as e:
            answer = json.loads(e.read() or b"{}")
            value = answer.get("value") or {}
            raise WebDriverError(f"{method} {path}: {value.get('error')}: "
                                 f"{str(value.get('message'))[:300]}") from None
        return answer.get("value")

    def _session_call(self, method, path, body=None, timeout=30):
        return self._call(method, f"/session/{self.session}{path}", body, timeout)

    def start(self, chrome_bin):
        self.profile = tempfile.mkdtemp(prefix="mochi-scale-out-chromium-")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome_bin,
                "args": CHROME_ARGS + [f"--user-data-dir={self.profile}"],
            },
        }}}
        self.session = self._call("POST", "/session", caps, timeout=60)["sessionId"]
        self._session_call("POST", "/timeouts", {"pageLoad": 20000, "script": 10000})
        self.cdp("Network.enable")
        self.cdp("Network.setCacheDisabled", {"cacheDisabled": True})

    def cdp(self, cmd, params=None):
        return self._session_call("POST", "/goog/cdp/execute", {"cmd": cmd, "params": params or {}})

    def goto(self, url):
        self._session_call("POST", "/url", {"url": url})

    def execute(self, script, args=()):
        return self._session_call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def quit(self):
        try:
            if self.session:
                self._call("DELETE", f"/session/{self.session}", timeout=15)
        except (OSError, WebDriverError):
            pass
        finally:
            self.session = None
            if self.profile:
                shutil.rmtree(self.profile, ignore_errors=True)


def wait_page(wd):
    """Polls the page until every island is done, one failed, or PAGE_WAIT
    passes. Returns (server islands loaded, hydrated islands, problems)."""
    deadline = time.monotonic() + PAGE_WAIT
    while True:
        s = wd.execute(STATUS_JS)
        if s["failed"]:
            return 0, 0, [f"island failed: {f}" for f in s["failed"]]
        if s["ready"] and not s["pending"]:
            if not s["server"]:
                return 0, 0, ["no server island on the page"]
            return s["server"], s["hydrated"], []
        if time.monotonic() > deadline:
            return 0, 0, [f"not done after {PAGE_WAIT:.0f} s: {p}" for p in s["pending"]]
        time.sleep(0.05)


def sign_in(wd, nginx, name):
    """Signs in with the shop's form, as a person would."""
    wd.goto(f"{nginx}/signin")
    wd.execute(
        "const f = document.querySelector('form.signin');"
        "f.querySelector('input[name=name]').value = arguments[0]; f.submit();",
        [name],
    )
    deadline = time.monotonic() + PAGE_WAIT
    while time.monotonic() < deadline:
        url = wd.execute("return document.readyState === 'complete' ? location.pathname : null")
        if url == "/account":
            return
        time.sleep(0.05)
    raise WebDriverError("signing in did not land on /account")


def loop(stats, phases, driver_url, chrome_bin, nginx, pages, deadline, on_ready, seed=7):
    """Loads random `pages` through nginx until `deadline` (or the phases
    file says stop); every island of every page must be done. Results go to
    `stats` (browser pages and island loads, per phase; failures).
    `on_ready()` is called once signed in (or on giving up)."""
    rng = random.Random(seed)
    wd = WebDriver(driver_url)
    try:
        wd.start(chrome_bin)
        sign_in(wd, nginx, "chromium")
        on_ready()
        while time.monotonic() < deadline and not phases.stopped():
            path = rng.choice(pages)
            phase = phases.current()
            try:
                wd.goto(nginx + path)
                loaded, hydrated, problems = wait_page(wd)
            except (OSError, WebDriverError) as e:
                loaded, hydrated, problems = 0, 0, [repr(e)]
            stats.browser_page(phase, loaded, hydrated, problems, path)
    except (OSError, WebDriverError, KeyError, TypeError) as e:
        stats.fail(f"browser: {e!r}")
    finally:
        on_ready()
        wd.quit()

