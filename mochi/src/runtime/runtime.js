// mochi client runtime: <mochi-server-island> and <mochi-island>.
//
// Served by mochi as `{prefix}/runtime-{hash}.js`, the concatenation of
// devalue.js (which declares `mochiParse`) and this file, loaded with
// `<script type="module" async src=…>`. No inline scripts, no dependencies, so a
// strict `Content-Security-Policy: script-src 'self'` works. `async`: it may run while
// the page is still being parsed; islands start once everything before them is parsed
// (at `DOMContentLoaded`, or at `<mochi-stream-start>` on a streamed page).
//
// Observable state: each island element carries `mochi-state`:
//   server islands   waiting (defer-on=visible, not yet in view) → loading → loaded | error,
//                    or, streamed, streaming → loaded | error (or loading, when fetched instead),
//                    then per reload: reloading (old content shown, aria-busy="true") → loaded | error
//   hydrated islands waiting (trigger not yet met) → hydrating → hydrated | error
// Server island attributes, besides component-name, island-id, signed-props:
//   defer-on="visible" root-margin="200px"  load once within the viewport (grown by the margin)
//   retries="n"          retries of network errors, 502, 503 and 504 (default 2, at most 10; backoff with jitter)
//   reload-on="a b"      reload when event `a` or `b` reaches `document`
//   refresh-every="ms"   reload every ms (at least 1000) while the page is visible and the
//                        element within the viewport (grown by root-margin)
//   transport="post"     POST {prefix}/island/{Name}, form body `p=…&i=…`, instead of GET ?p=…&i=…
//   transport="get"      always its own GET (a cacheable island); without `transport`, islands
//                        that start loading together are fetched in one GET {prefix}/batch
//                        (see mochiBatchLoad); retries always go alone
//   stream               the island's HTML arrives at the end of this document: a
//                        <template mochi-part="{id}"> then <mochi-swap island-id="{id}">, which
//                        moves it in (`fetch`: fetch it instead; `failed`: keep the fallback).
//                        Not settled when the document ends: fetched.
//   inline               rendered by the server inside the answer of the island it is nested
//                        in: loaded already (`inline="failed"`: failed, as a first load that
//                        failed for good); it still reloads like any other
//   a child <template mochi-error-fallback> replaces the fallback when the first load fails
//   for good (4xx, or retries spent); a failed reload keeps the old content
// Methods: serverIsland.reload() → Promise<boolean>, whether new HTML was swapped in. Reloads
//   of one element never overlap: every request made during a load shares one reload after it.
//   An element still waiting for the viewport, or detached, does not reload (false).
// Removing an element aborts its fetch: nothing is swapped into it and no event fires; put
// back (a new connect), an island whose first load was cut short loads again.
// Events (bubbling, composed CustomEvents on the element):
//   mochi:island-load    {status, componentName, islandId, reload, stream} after a swap
//                        (and `inline: true` for an island rendered inline)
//   mochi:island-error   {status, error, componentName, islandId, reload} on final failure
//                        (status 0 = network error or no request made;
//                         hydration failures carry no status and no reload)
//   mochi:island-hydrate {componentName, islandId}                        after hydration
// Listened for on `document`:
//   mochi:reload {name}  reload every server island with component-name `name` (no name: all)

/** Directory of this script: `{prefix}/`. Island URLs hang off it. */
const MOCHI_BASE = new URL('.', import.meta.url);
/** Where client modules are served: the only modules hydration imports. */
const MOCHI_CLIENT = new URL('client/', MOCHI_BASE);

const MOCHI_DEFAULT_RETRIES = 2;
const MOCHI_BACKOFF_BASE_MS = 200;
const MOCHI_BACKOFF_CAP_MS = 5000;
/** `setInterval`'s limit: a longer delay would fire at once. */
const MOCHI_MAX_TIMER_MS = 2 ** 31 - 1;
/** HTML's space-separated tokens split on ASCII whitespace only. */
const MOCHI_TOKEN_SPLIT = /[\t\n\f\r ]+/;
// MOCHI_MAX_BATCH, MOCHI_MAX_BATCH_URL, MOCHI_BATCH_TYPE, MOCHI_MAX_RETRIES,
// MOCHI_MIN_REFRESH_MS and MOCHI_RETRIED are declared before this file, from mochi's Rust constants
// (mochi/src/assets.rs, `wire_constants`): one source for both sides, so a page's
// preload `Link` names the very batch URL built here.

/** Everything up to the streamed parts (or the whole document) is parsed: an island's
 * children are complete, so it may start. */
let mochiParsed = true;
const mochiOnParsed = [];
function mochiWhenParsed(start) {
  if (mochiParsed) start();
  else mochiOnParsed.push(start);
}
function mochiParseDone() {
  mochiParsed = true;
  for (const start of mochiOnParsed.splice(0)) start();
}

/** Streamed islands not yet settled; the document's end fetches what is left. */
const mochiStreaming = new Set();
let mochiStreamOver = true;
function mochiStreamEnded() {
  mochiStreamOver = true;
  for (const el of [...mochiStreaming]) el.mochiStreamMissed();
}

/** Hydrated islands whose hydration has started; guards reconnects and double upgrades. */
const mochiStarted = new WeakSet();

/** Connected server islands, for `mochi:reload`. */
const mochiServerIslands = new Set();

function mochiSetState(el, state) {
  el.setAttribute('mochi-state', state);
}

function mochiEmit(el, name, detail) {
  el.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }));
}

function mochiIdent(el) {
  return {
    componentName: el.getAttribute('component-name') || '',
    islandId: el.getAttribute('island-id') || '',
  };
}

function mochiFail(el, status, error, reload) {
  const message = error instanceof Error ? error.message : String(error);
  mochiSetState(el, 'error');
  const detail = { ...mochiIdent(el), error: message };
  if (status !== undefined) detail.status = status;
  if (reload !== undefined) detail.reload = reload;
  mochiEmit(el, 'mochi:island-error', detail);
  if (typeof console !== 'undefined') {
    console.warn(`mochi: island ${detail.componentName || '?'} (${detail.islandId || '?'}) failed: ${message}`);
  }
}

/** `retries` attribute: integer, clamped to 0..=10; absent or junk → default. */
function mochiRetries(el) {
  const raw = el.getAttribute('retries');
  if (raw === null || raw.trim() === '') return MOCHI_DEFAULT_RETRIES;
  const n = Number(raw);
  if (!Number.isFinite(n)) return MOCHI_DEFAULT_RETRIES;
  return Math.min(MOCHI_MAX_RETRIES, Math.max(0, Math.floor(n)));
}

/** Exponential, capped, with equal jitter: islands that failed together do not retry in step. */
function mochiBackoff(attempt) {
  const ms = Math.min(MOCHI_BACKOFF_CAP_MS, MOCHI_BACKOFF_BASE_MS * 2 ** attempt);
  return ms / 2 + Math.random() * (ms / 2);
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function mochiSleep(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Calls `onChange(inView)` whenever `el` enters or leaves the viewport
 * (grown by its `root-margin`). Returns a function that stops watching.
 */
function mochiObserve(el, onChange) {
  if (typeof IntersectionObserver === 'undefined') {
    // Always in view; called later, like an observer, so callers see no re-entry.
    queueMicrotask(() => onChange(true));
    return () => {};
  }
  const callback = (entries) => onChange(entries[entries.length - 1].isIntersecting);
  let observer;
  try {
    observer = new IntersectionObserver(callback, { rootMargin: el.getAttribute('root-margin') || '0px' });
  } catch (_) {
    // Malformed root-margin: observe without a margin rather than never.
    observer = new IntersectionObserver(callback);
  }
  observer.observe(el);
  return () => observer.disconnect();
}

/** Runs `start` once, when `el` first comes into view. Returns a function that cancels. */
function mochiWhenVisible(el, start) {
  let fired = false;
  const stop = mochiObserve(el, (inView) => {
    if (!inView || fired) return;
    fired = true;
    stop();
    start();
  });
  return stop;
}

function mochiIsHtml(res) {
  const type = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  return type === 'text/html';
}

/** Replace the element's children with `html`, letting its scripts run. */
function mochiSwap(el, html) {
  const range = document.createRange();
  range.selectNodeContents(el);
  // Unlike innerHTML, a contextual fragment's <script>s execute on insertion.
  const fragment = range.createContextualFragment(html);
  el.replaceChildren(fragment);
}

/** One request; `{status, html}`, `{status, error, final}` (retrying cannot change it)
 * or `{status, error}` (502, 503, 504, network error: worth a retry). Never rejects. */
async function mochiAttempt(url, init) {
  try {
    const res = await fetch(url, init);
    if (res.status === 200 && mochiIsHtml(res)) return { status: 200, html: await res.text() };
    if (!MOCHI_RETRIED.has(res.status)) {
      const why = res.status === 200 ? `unexpected content type ${res.headers.get('content-type')}` : `HTTP ${res.status}`;
      return { status: res.status, error: why, final: true };
    }
    return { status: res.status, error: `HTTP ${res.status}` };
  } catch (e) {
    return { status: 0, error: e };
  }
}

/** The page's W3C trace context (`<meta name="traceparent">`), or '' without one. */
let mochiTraceparent;
function mochiTrace() {
  if (mochiTraceparent === undefined) {
    const content = document.querySelector('meta[name="traceparent"]')?.getAttribute('content') || '';
    mochiTraceparent = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/.test(content) ? content : '';
  }
  return mochiTraceparent;
}

/** `&tp={traceparent}`, which ends private island and batch URLs (as in the page's preload `Link`). */
function mochiTraceParam() {
  const tp = mochiTrace();
  return tp ? `&tp=${tp}` : '';
}

function mochiGetInit(signal) {
  const headers = { Accept: 'text/html' };
  const tp = mochiTrace();
  if (tp) headers.traceparent = tp;
  return { credentials: 'same-origin', headers, signal };
}

/** `n={Name}&i={id}&p={token}`, a batch entry. */
function mochiEntry(e) {
  return `n=${encodeURIComponent(e.name)}&i=${encodeURIComponent(e.id)}&p=${encodeURIComponent(e.signed)}`;
}

/** Loads waiting for this task's batch. */
let mochiQueue = null;

/**
 * Loads an island in a batch with the others that start loading in the same task (all of a
 * page's eager islands; the visible ones that scroll into view together). Resolves like
 * mochiAttempt, or to `{fallback: true}` when the island is alone in its batch or the batch
 * itself failed, so the island asks alone (not counted as a retry).
 */
function mochiBatchLoad(el, name, signed, signal) {
  return new Promise((resolve) => {
    if (!mochiQueue) {
      mochiQueue = [];
      setTimeout(mochiFlush, 0);
    }
    let settled = false;
    const settle = (outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    mochiQueue.push({ name, signed, id: el.getAttribute('island-id') || '', signal, settle });
  });
}

/** Sends the queued loads, split as mochi's `batch::preload_urls` splits them. */
function mochiFlush() {
  const queue = mochiQueue.filter((e) => !e.signal.aborted);
  mochiQueue = null;
  const base = new URL('batch', MOCHI_BASE).pathname.length + mochiTraceParam().length;
  let chunk = [];
  let len = base;
  const send = () => {
    if (chunk.length === 1) {
      // Alone: the island's own request, which its caller makes.
      chunk[0].settle({ fallback: true });
    } else if (chunk.length > 1) {
      mochiBatchRequest(chunk);
    }
    chunk = [];
    len = base;
  };
  for (const e of queue) {
    const add = 1 + mochiEntry(e).length;
    if (chunk.length && (len + add > MOCHI_MAX_BATCH_URL || chunk.length === MOCHI_MAX_BATCH)) send();
    chunk.push(e);
    len += add;
  }
  send();
}

/** GET {prefix}/batch; settles each entry as its part arrives: `{index} {status} {length}\n{body}`. */
async function mochiBatchRequest(entries) {
  const url = new URL('batch', MOCHI_BASE);
  url.search = `?${entries.map(mochiEntry).join('&')}${mochiTraceParam()}`;
  const abort = new AbortController();
  let open = entries.length;
  for (const e of entries) {
    e.signal.addEventListener('abort', () => {
      e.settle({ status: 0, error: 'aborted' });
      if (--open === 0) abort.abort();
    }, { once: true });
  }
  try {
    const res = await fetch(url, mochiGetInit(abort.signal));
    const type = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
    if (res.status === 200 && type === MOCHI_BATCH_TYPE && res.body) {
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = new Uint8Array(0);
      for (;;) {
        const { done, value } = await reader.read();
        if (value) {
          const joined = new Uint8Array(buf.length + value.length);
          joined.set(buf);
          joined.set(value, buf.length);
          buf = joined;
        }
        for (;;) {
          const nl = buf.indexOf(10);
          if (nl < 0) break;
          const [index, status, length] = decoder.decode(buf.subarray(0, nl)).split(' ').map(Number);
          const entry = entries[index];
          if (!entry || !(status >= 100) || !(length >= 0)) throw new Error('malformed batch answer');
          if (buf.length < nl + 1 + length) break;
          const body = decoder.decode(buf.subarray(nl + 1, nl + 1 + length));
          buf = buf.subarray(nl + 1 + length);
          if (status === 200) entry.settle({ status, html: body });
          else entry.settle({ status, error: `HTTP ${status}`, final: !MOCHI_RETRIED.has(status) });
        }
        if (done) break;
      }
    }
  } catch (_) {
    // A network error, or a cut-off answer: what is unsettled asks alone.
  }
  for (const e of entries) e.settle({ fallback: true });
}

/**
 * Fetches a server island's HTML, retrying network errors, 502, 503 and 504 with
 * backoff. Resolves to `{status, html}`, `{status, error}` (final failure)
 * or `{aborted: true}`; never rejects.
 */
async function mochiFetchIsland(el, name, signed, signal) {
  const url = new URL(`island/${encodeURIComponent(name)}`, MOCHI_BASE);
  const params = `p=${encodeURIComponent(signed)}&i=${encodeURIComponent(el.getAttribute('island-id') || '')}`;
  const init = mochiGetInit(signal);
  const transport = el.getAttribute('transport');
  if (transport === 'post') {
    // Large props: the same token in the body, where no URL limit applies.
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    init.body = params;
  } else {
    // A cacheable island's URL is the same on every page; any other's is
    // private, and carries the trace as its preload `Link` does.
    url.search = `?${params}${transport === null ? mochiTraceParam() : ''}`;
  }
  const retries = mochiRetries(el);
  let batched = transport === null;
  for (let attempt = 0; ; attempt++) {
    let outcome = batched ? await mochiBatchLoad(el, name, signed, signal) : await mochiAttempt(url, init);
    if (outcome.fallback) outcome = await mochiAttempt(url, init);
    batched = false;
    if (outcome.html !== undefined || outcome.final) return outcome;
    if (signal.aborted) return { aborted: true };
    if (attempt >= retries) return outcome;
    await mochiSleep(mochiBackoff(attempt), signal);
    if (signal.aborted) return { aborted: true };
  }
}

/**
 * Find the props block `ref` for `el`: the nearest block with that id
 * before the island in its tree (document or shadow root), so a fragment or
 * server-island answer spliced into a page finds its own block even if the
 * page holds another with the same id. A block always precedes its island.
 */
function mochiPropsBlock(el, ref) {
  const root = el.getRootNode();
  const scope = root && typeof root.querySelectorAll === 'function' ? root : document;
  const blocks = scope.querySelectorAll(`script[id="${CSS.escape(ref)}"]`);
  for (let i = blocks.length - 1; i >= 0; i--) {
    if (blocks[i].compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) return blocks[i];
  }
  return blocks[0] ?? null;
}

async function mochiHydrate(el) {
  const ident = mochiIdent(el);
  mochiSetState(el, 'hydrating');
  try {
    const client = el.getAttribute('client');
    if (!client) throw new Error('missing client attribute');
    const ref = el.getAttribute('props-ref');
    let props = {};
    if (ref !== null) {
      let block = mochiPropsBlock(el, ref);
      if (!block && document.readyState === 'loading') {
        // Streaming: the block precedes the island, but be lenient.
        await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
        block = mochiPropsBlock(el, ref);
      }
      if (!block) throw new Error(`props block #${ref} not found`);
      if (typeof mochiParse !== 'function') throw new Error('devalue decoder (mochiParse) missing from the runtime');
      props = mochiParse(block.textContent);
    }
    const url = new URL(client, document.baseURI);
    // Only mochi's own client modules: HTML that reached the page some other way (user content)
    // must not name a script to run.
    if (url.origin !== MOCHI_CLIENT.origin || !url.pathname.startsWith(MOCHI_CLIENT.pathname) || url.search || url.hash) {
      throw new Error(`client module ${client} is not under ${MOCHI_CLIENT.href}`);
    }
    const mod = await import(url.href);
    const hydrate = mod.default ?? mod.hydrate;
    if (typeof hydrate !== 'function') throw new Error(`client module ${client} exports no default or hydrate function`);
    await hydrate(el, props, ident.islandId);
  } catch (e) {
    return mochiFail(el, undefined, e);
  }
  mochiSetState(el, 'hydrated');
  mochiEmit(el, 'mochi:island-hydrate', ident);
}

/** Runs `start` when the browser is idle. Returns a function that cancels. */
function mochiWhenIdle(start) {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(() => start(), { timeout: 2000 });
    return () => cancelIdleCallback(handle);
  }
  const timer = setTimeout(start, 200);
  return () => clearTimeout(timer);
}

/** Runs `start` once the element's `media` query matches. Returns a function that cancels. */
function mochiWhenMedia(el, start) {
  // An empty query matches everything, like matchMedia('').
  const mql = matchMedia(el.getAttribute('media') || '');
  if (mql.matches) {
    start();
    return undefined;
  }
  const onChange = (e) => {
    if (e.matches) {
      mql.removeEventListener('change', onChange);
      start();
    }
  };
  mql.addEventListener('change', onChange);
  return () => mql.removeEventListener('change', onChange);
}

function mochiDefineElements() {
  class MochiServerIsland extends HTMLElement {
    /** The first load finished (swapped, or failed for good). */
    #settled = false;
    /** Promise<boolean> of the load in flight, and its AbortController. */
    #flight;
    #abort;
    /** `{promise, resolve}` of the one reload asked for during the flight. */
    #next;
    /** Cancels the wait for the viewport (defer-on=visible). */
    #stopWait;
    /** Aborting it removes the reload-on listeners and stops polling. */
    #live;
    /** Waiting for the document to be parsed up to it. */
    #parsing = false;

    connectedCallback() {
      mochiServerIslands.add(this);
      this.#watch();
      const inFlight = this.#flight && !this.#abort?.signal.aborted;
      if (this.#settled || inFlight || this.#stopWait || this.#parsing) return;
      const inline = this.getAttribute('inline');
      if (inline !== null) {
        // Rendered by the server inside the answer that brought it in.
        if (inline === 'failed') {
          this.#failFirst(500, 'nested render failed');
          return;
        }
        this.#settled = true;
        mochiSetState(this, 'loaded');
        mochiEmit(this, 'mochi:island-load', { ...mochiIdent(this), status: 200, reload: false, stream: false, inline: true });
        return;
      }
      if (this.hasAttribute('stream')) {
        // Its HTML is on its way in this document; a <mochi-swap> brings it.
        mochiSetState(this, 'streaming');
        mochiStreaming.add(this);
        if (mochiStreamOver) queueMicrotask(() => this.mochiStreamMissed());
        return;
      }
      this.#parsing = true;
      mochiWhenParsed(() => {
        this.#parsing = false;
        if (this.isConnected) this.#begin();
      });
    }

    /** Loads now, or once in view (defer-on=visible). */
    #begin() {
      if (this.#settled || this.#flight || this.#stopWait) return;
      if (this.getAttribute('defer-on') === 'visible') {
        mochiSetState(this, 'waiting');
        this.#stopWait = mochiWhenVisible(this, () => {
          this.#stopWait = undefined;
          this.#run(false);
        });
      } else {
        this.#run(false);
      }
    }

    /** A streamed part arrived: `content` (a template's) is the island's HTML. */
    mochiStreamed(content) {
      if (!this.#streamSettle()) return;
      this.#settled = true;
      this.replaceChildren(content);
      mochiSetState(this, 'loaded');
      mochiEmit(this, 'mochi:island-load', { ...mochiIdent(this), status: 200, reload: false, stream: true });
    }

    /** The stream gave up on the island (its deadline), or ended without it: fetch it. */
    mochiStreamMissed() {
      if (!this.#streamSettle()) return;
      if (this.isConnected) this.#begin();
    }

    /** The island failed or panicked while streaming: like a final failure of its first load. */
    mochiStreamFailed() {
      if (!this.#streamSettle()) return;
      this.#failFirst(500, 'streamed render failed');
    }

    /** Leaves the streaming state; false if it had already been left. */
    #streamSettle() {
      if (!this.hasAttribute('stream') || this.#settled) return false;
      this.removeAttribute('stream');
      mochiStreaming.delete(this);
      return true;
    }

    /** The first load failed for good: the error fallback, if any, replaces the fallback. */
    #failFirst(status, error) {
      const template = this.querySelector(':scope > template[mochi-error-fallback]');
      if (template) this.replaceChildren(template.content);
      this.#settled = true;
      mochiFail(this, status, error, false);
      return false;
    }

    disconnectedCallback() {
      mochiServerIslands.delete(this);
      this.#live?.abort();
      this.#live = undefined;
      // Not yet fetched: stop watching; a reconnect watches again.
      this.#stopWait?.();
      this.#stopWait = undefined;
      // Removed for good, not moved (a move reconnects within the same task).
      queueMicrotask(() => {
        if (!this.isConnected) this.#abort?.abort();
      });
    }

    /** Fetches the island again; resolves to whether new HTML was swapped in. */
    reload() {
      if (!this.isConnected || !(this.#settled || this.#flight)) return Promise.resolve(false);
      if (!this.#flight) return this.#run(true);
      if (!this.#next) {
        let resolve;
        const promise = new Promise((r) => (resolve = r));
        this.#next = { promise, resolve };
      }
      return this.#next.promise;
    }

    #run(isReload) {
      const flight = this.#load(isReload)
        .catch((e) => {
          this.#settled = true;
          mochiFail(this, 0, e, isReload);
          return false;
        })
        .then((swapped) => {
          // Superseded: an aborted load whose element came back and started anew.
          if (this.#flight !== flight) return swapped;
          this.#flight = undefined;
          const next = this.#next;
          this.#next = undefined;
          next?.resolve(this.reload());
          return swapped;
        });
      this.#flight = flight;
      return flight;
    }

    async #load(isReload) {
      const name = this.getAttribute('component-name');
      const signed = this.getAttribute('signed-props');
      const fail = (status, error) => {
        if (!isReload) return this.#failFirst(status, error);
        this.#settled = true;
        mochiFail(this, status, error, isReload);
        return false;
      };
      if (!name) return fail(0, 'missing component-name attribute');
      if (signed === null || signed === '') return fail(0, 'missing signed-props attribute');

      const abort = (this.#abort = new AbortController());
      const before = this.getAttribute('mochi-state');
      mochiSetState(this, isReload ? 'reloading' : 'loading');
      if (isReload) this.setAttribute('aria-busy', 'true');
      let outcome;
      try {
        outcome = await mochiFetchIsland(this, name, signed, abort.signal);
      } catch (e) {
        outcome = { status: 0, error: e };
      }
      const current = this.#abort === abort;
      if (current) {
        this.#abort = undefined;
        if (isReload) this.removeAttribute('aria-busy');
      }
      if (outcome.aborted || !this.isConnected) {
        // Removed: leave no trace (a reconnect starts an unfinished first load again).
        if (current && isReload) mochiSetState(this, before);
        return false;
      }
      if (outcome.html !== undefined) {
        this.#settled = true;
        mochiSwap(this, outcome.html);
        mochiSetState(this, 'loaded');
        mochiEmit(this, 'mochi:island-load', { ...mochiIdent(this), status: outcome.status, reload: isReload, stream: false });
        return true;
      }
      return fail(outcome.status, outcome.error);
    }

    /** Sets up reload-on and refresh-every (again, after a reconnect). */
    #watch() {
      this.#live?.abort();
      const live = (this.#live = new AbortController());
      const { signal } = live;
      for (const type of (this.getAttribute('reload-on') || '').split(MOCHI_TOKEN_SPLIT)) {
        if (type) document.addEventListener(type, () => this.reload(), { signal });
      }
      const every = Number(this.getAttribute('refresh-every'));
      if (!(every > 0)) return;
      let inView = false;
      const stopObserving = mochiObserve(this, (v) => (inView = v));
      const poll = () => {
        // A slow answer skips ticks rather than queueing them.
        if (inView && document.visibilityState === 'visible' && !this.#flight) this.reload();
      };
      const timer = setInterval(poll, Math.min(MOCHI_MAX_TIMER_MS, Math.max(MOCHI_MIN_REFRESH_MS, every)));
      signal.addEventListener('abort', () => {
        clearInterval(timer);
        stopObserving();
      });
    }
  }

  class MochiIsland extends HTMLElement {
    /** Cancels the wait for the hydration trigger. */
    #cancel;

    connectedCallback() {
      if (mochiStarted.has(this) || this.#cancel) return;
      const start = () => {
        if (mochiStarted.has(this) || !this.isConnected) return;
        mochiStarted.add(this);
        this.#cancel = undefined;
        mochiHydrate(this);
      };
      // Its children must be parsed before its module sees them.
      const parsing = () => {};
      this.#cancel = parsing;
      mochiWhenParsed(() => {
        // Removed meanwhile: a reconnect waits anew.
        if (this.#cancel !== parsing) return;
        this.#cancel = undefined;
        this.#trigger(start);
      });
    }

    #trigger(start) {
      const on = this.getAttribute('hydrate-on') || 'load';
      switch (on) {
        case 'load':
          start();
          return;
        case 'idle':
          mochiSetState(this, 'waiting');
          this.#cancel = mochiWhenIdle(start);
          return;
        case 'visible':
          mochiSetState(this, 'waiting');
          this.#cancel = mochiWhenVisible(this, start);
          return;
        case 'media':
          mochiSetState(this, 'waiting');
          this.#cancel = mochiWhenMedia(this, start);
          return;
        default:
          console.warn(`mochi: unknown hydrate-on="${on}" on ${this.getAttribute('component-name')}; hydrating now`);
          start();
      }
    }

    disconnectedCallback() {
      this.#cancel?.();
      this.#cancel = undefined;
    }
  }

  /** Moves a streamed part (the <template mochi-part> before it) into its island. */
  class MochiSwap extends HTMLElement {
    connectedCallback() {
      const id = this.getAttribute('island-id') || '';
      const before = this.previousElementSibling;
      const part = before?.localName === 'template' && before.getAttribute('mochi-part') === id ? before : null;
      const island = document.querySelector(`mochi-server-island[island-id="${CSS.escape(id)}"][stream]`);
      if (island && typeof island.mochiStreamed === 'function') {
        if (this.hasAttribute('failed')) island.mochiStreamFailed();
        else if (part && !this.hasAttribute('fetch')) island.mochiStreamed(part.content);
        else island.mochiStreamMissed();
      }
      part?.remove();
      this.remove();
    }
  }

  /** Written after a streamed page's own HTML: everything before it is parsed. */
  class MochiStreamStart extends HTMLElement {
    connectedCallback() {
      mochiParseDone();
      this.remove();
    }
  }

  if (document.readyState === 'loading') {
    mochiParsed = false;
    mochiStreamOver = false;
    document.addEventListener('DOMContentLoaded', () => {
      mochiParseDone();
      mochiStreamEnded();
    }, { once: true });
  }
  // In this order: islands are upgraded before the parts that settle them.
  if (!customElements.get('mochi-server-island')) customElements.define('mochi-server-island', MochiServerIsland);
  if (!customElements.get('mochi-island')) customElements.define('mochi-island', MochiIsland);
  if (!customElements.get('mochi-swap')) customElements.define('mochi-swap', MochiSwap);
  if (!customElements.get('mochi-stream-start')) customElements.define('mochi-stream-start', MochiStreamStart);

  document.addEventListener('mochi:reload', (e) => {
    const name = e.detail?.name;
    for (const el of mochiServerIslands) {
      if (!name || el.getAttribute('component-name') === name) el.reload();
    }
  });
}

if (typeof customElements !== 'undefined') mochiDefineElements();
