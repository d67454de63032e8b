//! Headless-Chromium harness for the browser tests: finds chromedriver and
//! Chromium, starts one chromedriver and one WebDriver session for the whole
//! test binary, injects an event recorder into every page, and runs named
//! scenarios one after another, reporting each.

use std::error::Error;
use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use futures_util::FutureExt as _;
use serde_json::{json, Value as Json};

/// What a scenario returns.
pub(crate) type TestResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

/// How long any single wait polls before failing.
pub(crate) const WAIT: Duration = Duration::from_secs(10);
/// Upper bound for one scenario.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(60);

const SKIP_MESSAGE: &str =
    "SKIPPED: browser tests need chromium and chromedriver (apt-get install chromium chromium-driver)";

/// Injected into every document before any page script (via DevTools, so
/// the page's CSP does not apply to it). Records mochi events, CSP
/// violations, `mochi-state` transitions, `fetch` calls (and the islands
/// each asked for) and `alert` calls into `window.__mochiRec`.
pub(crate) const RECORDER_JS: &str = r#"
(() => {
  if (window.__mochiRec) return;
  const rec = { events: [], states: [], csp: [], alerts: [], fetches: [], requests: [] };
  Object.defineProperty(window, '__mochiRec', { value: rec });
  for (const type of ['mochi:island-load', 'mochi:island-error', 'mochi:island-hydrate']) {
    document.addEventListener(type, (e) => {
      const t = e.target;
      rec.events.push({
        type,
        id: t.getAttribute && t.getAttribute('island-id'),
        name: t.getAttribute && t.getAttribute('component-name'),
        bubbles: e.bubbles,
        detail: JSON.parse(JSON.stringify(e.detail ?? null)),
      });
    }, true);
  }
  // Every mochi-state change, with the island's text at that moment
  // (observer callbacks run before any later task, so `loading` still
  // shows the fallback).
  new MutationObserver((records) => {
    for (const r of records) {
      const t = r.target;
      rec.states.push({
        id: t.getAttribute('island-id'),
        name: t.getAttribute('component-name'),
        old: r.oldValue,
        state: t.getAttribute('mochi-state'),
        text: t.textContent.trim().slice(0, 200),
      });
    }
  }).observe(document, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['mochi-state'] });
  document.addEventListener('securitypolicyviolation', (e) => {
    rec.csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  }, true);
  window.alert = (m) => { rec.alerts.push(String(m)); };
  // Every fetch() the page makes (Resource Timing skips error answers), in
  // `requests`; in `fetches`, one entry per island asked for: a batch
  // request counts once for each island in it, as if asked alone, with the
  // status of that island's part (`aborted` on the request: its body was
  // cut off).
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = String(input instanceof Request ? input.url : input);
    const p = realFetch.apply(this, arguments);
    const headers = new Headers(init && init.headers);
    const u = new URL(url, location.href);
    // The page's trace, as the request carries it (URL, header); island
    // fetches are recorded by their URL without it.
    const request = { url, status: null, tp: u.searchParams.get('tp'), traceparent: headers.get('traceparent') };
    rec.requests.push(request);
    p.then((r) => { request.status = r.status; }, () => { request.status = 0; });
    if (!u.pathname.endsWith('/batch')) {
      const entry = { url: url.replace(/&tp=[^&]*$/, ''), status: null };
      rec.fetches.push(entry);
      p.then((r) => { entry.status = r.status; }, () => { entry.status = 0; });
      return p;
    }
    const q = u.searchParams;
    const [names, ids, tokens] = [q.getAll('n'), q.getAll('i'), q.getAll('p')];
    const base = u.origin + u.pathname.replace(/batch$/, 'island/');
    const entries = names.map((n, k) => ({ url: `${base}${n}?p=${tokens[k]}&i=${ids[k]}`, status: null, batch: true }));
    rec.fetches.push(...entries);
    p.then(async (r) => {
      if (r.status !== 200) { for (const e of entries) e.status = r.status; return; }
      let bytes;
      try {
        bytes = new Uint8Array(await r.clone().arrayBuffer());
      } catch (_) {
        request.aborted = true;
        return;
      }
      const decoder = new TextDecoder();
      while (bytes.length) {
        const nl = bytes.indexOf(10);
        const [index, status, length] = decoder.decode(bytes.subarray(0, nl)).split(' ').map(Number);
        if (entries[index]) entries[index].status = status;
        bytes = bytes.subarray(nl + 1 + length);
      }
    }, () => { for (const e of entries) e.status = 0; }).catch(() => {});
    return p;
  };
})();
"#;

fn find_executable(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    for c in candidates {
        let p = Path::new(c);
        if p.is_absolute() {
            if p.is_file() {
                return Some(p.to_path_buf());
            }
        } else if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                let full = dir.join(c);
                if full.is_file() {
                    return Some(full);
                }
            }
        }
    }
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// A raw WebDriver command, for chromedriver's vendor endpoints.
#[derive(Debug)]
struct RawCommand {
    path: &'static str,
    body: Json,
}

impl WebDriverCompatibleCommand for RawCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// chromedriver, one browser session and the runtime driving it.
pub(crate) struct Browser {
    driver: Child,
    client: Option<Client>,
    profile: PathBuf,
    rt: tokio::runtime::Runtime,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session. `None` (after a
    /// loud message) when either is missing, unless
    /// `MOCHI_REQUIRE_EXTERNAL=1`, which makes their absence a failure.
    pub(crate) fn start() -> Option<Browser> {
        let driver_bin =
            find_executable("CHROMEDRIVER", &["/usr/bin/chromedriver", "chromedriver"]);
        let chrome_bin = find_executable(
            "CHROME_BIN",
            &[
                "/usr/bin/chromium",
                "chromium",
                "/usr/bin/chromium-browser",
                "chromium-browser",
                "google-chrome",
            ],
        );
        let (Some(driver_bin), Some(chrome_bin)) = (driver_bin, chrome_bin) else {
            if std::env::var("MOCHI_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
                panic!("{SKIP_MESSAGE} (MOCHI_REQUIRE_EXTERNAL=1 makes this a failure)");
            }
            // Straight to stderr: libtest captures `eprintln!` of passing tests.
            let bar = "=".repeat(78);
            let _ = writeln!(std::io::stderr(), "\n{bar}\n{SKIP_MESSAGE}\n{bar}\n");
            return None;
        };

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");

        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
        let profile =
            std::env::temp_dir().join(format!("mochi-browser-{}-{}", std::process::id(), port));
        let mut browser = Browser {
            driver,
            client: None,
            profile,
            rt,
        };

        // Wait for chromedriver to listen.
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = browser.driver.try_wait() {
                panic!("chromedriver exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }

        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chrome_bin,
                "args": [
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
                    format!("--user-data-dir={}", browser.profile.display()),
                ],
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let url = format!("http://{addr}");
        let client = browser
            .rt
            .block_on(async {
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps)
                    .connect(&url)
                    .await
            })
            .unwrap_or_else(|e| panic!("cannot start a Chromium session via chromedriver: {e}"));
        browser.rt.block_on(async {
            client
                .issue_cmd(RawCommand {
                    path: "goog/cdp/execute",
                    body: json!({
                        "cmd": "Page.addScriptToEvaluateOnNewDocument",
                        "params": { "source": RECORDER_JS },
                    }),
                })
                .await
                .expect("inject the event recorder");
        });
        browser.client = Some(client);
        Some(browser)
    }

    /// A context for scenarios against the server `server` (a name for
    /// the report) at `base` (e.g. `http://127.0.0.1:1234`), which
    /// `compresses` its answers or not.
    pub(crate) fn ctx(&self, server: &str, base: &str, compresses: bool) -> Ctx {
        Ctx {
            client: self.client.clone().expect("session"),
            server: server.to_string(),
            base: base.trim_end_matches('/').to_string(),
            compresses,
            allow_csp: Default::default(),
        }
    }

    /// Drives `fut` on the runtime that owns the WebDriver session.
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// What scenarios use: the WebDriver client and the server's base URL.
#[derive(Clone)]
pub(crate) struct Ctx {
    /// The WebDriver session.
    pub(crate) client: Client,
    /// The server's name, which prefixes its scenarios' names in the
    /// report.
    pub(crate) server: String,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) base: String,
    /// Whether the server compresses its answers.
    pub(crate) compresses: bool,
    allow_csp: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Truthiness as JavaScript sees it.
fn truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Json::String(s) => !s.is_empty(),
        Json::Array(_) | Json::Object(_) => true,
    }
}

impl Ctx {
    /// Navigates to `path` on the server under test.
    pub(crate) async fn goto(&self, path: &str) -> TestResult {
        self.client.goto(&format!("{}{}", self.base, path)).await?;
        Ok(())
    }

    /// Evaluates a JavaScript expression in the page.
    pub(crate) async fn eval(&self, expr: &str) -> TestResult<Json> {
        Ok(self
            .client
            .execute(&format!("return ({expr});"), vec![])
            .await?)
    }

    /// Runs the DevTools command `cmd` with `params`; its result.
    pub(crate) async fn cdp(&self, cmd: &str, params: Json) -> TestResult<Json> {
        let body = json!({ "cmd": cmd, "params": params });
        let path = "goog/cdp/execute";
        Ok(self.client.issue_cmd(RawCommand { path, body }).await?)
    }

    /// Runs a script body (use `return`) with `arguments`.
    pub(crate) async fn exec(&self, script: &str, args: Vec<Json>) -> TestResult<Json> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Polls `expr` until it is truthy (up to [`WAIT`]); returns its value.
    pub(crate) async fn wait_for(&self, what: &str, expr: &str) -> TestResult<Json> {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.eval(expr).await?;
            if truthy(&v) {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "timed out after {WAIT:?} waiting for {what} (`{expr}` = {v})"
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `el.getAttribute(name)` of the first match of `selector`.
    pub(crate) async fn attr(&self, selector: &str, name: &str) -> TestResult<Option<String>> {
        let v = self
            .exec(
                "const el = document.querySelector(arguments[0]); \
                 if (!el) throw new Error('no element ' + arguments[0]); \
                 return el.getAttribute(arguments[1]);",
                vec![json!(selector), json!(name)],
            )
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// `textContent` of the first match of `selector`, whitespace-trimmed.
    pub(crate) async fn text(&self, selector: &str) -> TestResult<String> {
        let v = self
            .exec(
                "const el = document.querySelector(arguments[0]); \
                 if (!el) throw new Error('no element ' + arguments[0]); \
                 return el.textContent.trim();",
                vec![json!(selector)],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until `selector`'s `mochi-state` is `state`.
    pub(crate) async fn wait_state(&self, selector: &str, state: &str) -> TestResult {
        let sel = json!(selector).to_string();
        let st = json!(state).to_string();
        self.wait_for(
            &format!("{selector} to reach mochi-state={state}"),
            &format!("document.querySelector({sel})?.getAttribute('mochi-state') === {st}"),
        )
        .await?;
        Ok(())
    }

    /// The recorder's log of mochi events in this document.
    pub(crate) async fn events(&self) -> TestResult<Vec<Json>> {
        let v = self
            .eval("window.__mochiRec ? window.__mochiRec.events : null")
            .await?;
        match v {
            Json::Array(a) => Ok(a),
            _ => Err("event recorder missing from the page".into()),
        }
    }

    /// Recorded events of `type` whose target has `island-id` == `id`.
    pub(crate) async fn events_for(&self, kind: &str, id: &str) -> TestResult<Vec<Json>> {
        Ok(self
            .events()
            .await?
            .into_iter()
            .filter(|e| e["type"] == kind && e["id"] == id)
            .collect())
    }

    /// Recorded `mochi-state` transitions of the island with `island-id` == `id`.
    pub(crate) async fn states_for(&self, id: &str) -> TestResult<Vec<Json>> {
        match self
            .eval("window.__mochiRec ? window.__mochiRec.states : null")
            .await?
        {
            Json::Array(a) => Ok(a.into_iter().filter(|e| e["id"] == id).collect()),
            _ => Err("event recorder missing from the page".into()),
        }
    }

    /// Alerts the page tried to open (the recorder swallows them).
    pub(crate) async fn alerts(&self) -> TestResult<Vec<Json>> {
        match self
            .eval("window.__mochiRec ? window.__mochiRec.alerts : null")
            .await?
        {
            Json::Array(a) => Ok(a),
            _ => Err("event recorder missing from the page".into()),
        }
    }

    /// CSP violations seen in this document.
    pub(crate) async fn csp_violations(&self) -> TestResult<Vec<Json>> {
        match self
            .eval("window.__mochiRec ? window.__mochiRec.csp : null")
            .await?
        {
            Json::Array(a) => Ok(a),
            _ => Err("event recorder missing from the page".into()),
        }
    }

    /// How many `fetch()` calls the page made with `needle` in the URL.
    pub(crate) async fn fetches(&self, needle: &str) -> TestResult<u64> {
        let v = self
            .exec(
                "if (!window.__mochiRec) throw new Error('event recorder missing from the page'); \
                 return window.__mochiRec.fetches.filter(e => e.url.includes(arguments[0])).length;",
                vec![json!(needle)],
            )
            .await?;
        Ok(v.as_u64().unwrap_or(0))
    }

    /// Scrolls the first match of `selector` into view.
    pub(crate) async fn scroll_to(&self, selector: &str) -> TestResult {
        self.exec(
            "const el = document.querySelector(arguments[0]); \
             if (!el) throw new Error('no element ' + arguments[0]); \
             el.scrollIntoView({block: 'center'}); return true;",
            vec![json!(selector)],
        )
        .await?;
        Ok(())
    }

    /// Browser console entries since the last call (chromedriver drains them).
    pub(crate) async fn console_log(&self) -> TestResult<Vec<Json>> {
        let v = self
            .client
            .issue_cmd(RawCommand {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// Whether a real JavaScript dialog is open.
    pub(crate) async fn dialog_open(&self) -> bool {
        self.client.get_alert_text().await.is_ok()
    }

    /// Lets the current scenario provoke CSP violations (a control case).
    pub(crate) fn allow_csp_violations(&self) {
        self.allow_csp
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    async fn reset(&self) -> TestResult {
        self.allow_csp
            .store(false, std::sync::atomic::Ordering::SeqCst);
        if self.dialog_open().await {
            let _ = self.client.dismiss_alert().await;
        }
        self.goto("/test/blank").await?;
        self.client.delete_all_cookies().await?;
        let _ = self.console_log().await?;
        Ok(())
    }

    /// Checks made after every scenario: no CSP violation (recorder and
    /// console), no alert, no open dialog.
    async fn after_checks(&self) -> TestResult {
        if self.dialog_open().await {
            return Err("a JavaScript dialog is open".into());
        }
        if self.allow_csp.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        let csp = self.csp_violations().await?;
        if !csp.is_empty() {
            return Err(format!("CSP violations: {csp:?}").into());
        }
        let alerts = self.alerts().await?;
        if !alerts.is_empty() {
            return Err(format!("page called alert(): {alerts:?}").into());
        }
        let csp_logs: Vec<_> = self
            .console_log()
            .await?
            .into_iter()
            .filter(|e| {
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("Content Security Policy"))
            })
            .collect();
        if !csp_logs.is_empty() {
            return Err(format!("CSP violations in the console: {csp_logs:?}").into());
        }
        Ok(())
    }

    /// A snapshot for failure messages: URL, islands, recorder, console.
    async fn diagnostics(&self) -> String {
        let mut out = String::new();
        if let Ok(url) = self.client.current_url().await {
            let _ = writeln!(out, "  url: {url}");
        }
        if let Ok(v) = self
            .eval(
                "[...document.querySelectorAll('mochi-server-island, mochi-island')] \
                 .map(e => e.outerHTML.length > 400 ? e.outerHTML.slice(0, 400) + '…' : e.outerHTML)",
            )
            .await
        {
            for el in v.as_array().into_iter().flatten() {
                let _ = writeln!(out, "  island: {}", el.as_str().unwrap_or_default());
            }
        }
        if let Ok(v) = self.eval("window.__mochiRec || null").await {
            let _ = writeln!(out, "  recorder: {v}");
        }
        if let Ok(logs) = self.console_log().await {
            for l in logs {
                let _ = writeln!(out, "  console: {} {}", l["level"], l["message"]);
            }
        }
        out
    }
}

/// Runs scenarios one by one and tallies them.
pub(crate) struct Report {
    filter: Vec<String>,
    passed: usize,
    skipped: usize,
    failed: Vec<String>,
}

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}

impl Report {
    /// `MOCHI_BROWSER_SCENARIOS=a,b` runs only those scenarios: on every
    /// server by their bare name (`a`), on one by its (`axum/a`).
    pub(crate) fn new() -> Report {
        let filter = std::env::var("MOCHI_BROWSER_SCENARIOS")
            .map(|f| {
                f.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Report {
            filter,
            passed: 0,
            skipped: 0,
            failed: Vec::new(),
        }
    }

    /// Runs one scenario on a fresh page with no cookies, reported as
    /// `{server}/{name}`.
    pub(crate) async fn run<F>(&mut self, cx: &Ctx, name: &str, scenario: F)
    where
        F: Future<Output = TestResult>,
    {
        let bare = name;
        let name = &format!("{}/{bare}", cx.server);
        if !self.filter.is_empty() && !self.filter.iter().any(|f| f == bare || f == name) {
            self.skipped += 1;
            return;
        }
        let started = Instant::now();
        let outcome = async {
            cx.reset().await.map_err(|e| format!("reset failed: {e}"))?;
            match tokio::time::timeout(SCENARIO_TIMEOUT, AssertUnwindSafe(scenario).catch_unwind())
                .await
            {
                Err(_) => Err(format!("timed out after {SCENARIO_TIMEOUT:?}")),
                Ok(Err(panic)) => Err(format!(
                    "panicked: {}",
                    panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("?")
                )),
                Ok(Ok(Err(e))) => Err(e.to_string()),
                Ok(Ok(Ok(()))) => cx.after_checks().await.map_err(|e| e.to_string()),
            }
        }
        .await;
        let ms = started.elapsed().as_millis();
        match outcome {
            Ok(()) => {
                self.passed += 1;
                eprintln!("browser scenario {name} ... ok ({ms} ms)");
            }
            Err(e) => {
                let diag = cx.diagnostics().await;
                eprintln!("browser scenario {name} ... FAILED ({ms} ms)\n  {e}\n{diag}");
                self.failed.push(format!("{name}: {e}"));
            }
        }
    }

    /// Prints the tally and panics if any scenario failed.
    pub(crate) fn finish(self) {
        eprintln!(
            "browser scenarios: {} passed, {} failed, {} filtered out",
            self.passed,
            self.failed.len(),
            self.skipped
        );
        assert!(
            self.failed.is_empty(),
            "{} browser scenario(s) failed:\n{}",
            self.failed.len(),
            self.failed.join("\n")
        );
        assert!(
            self.passed > 0,
            "no browser scenario ran (check MOCHI_BROWSER_SCENARIOS)"
        );
    }
}
