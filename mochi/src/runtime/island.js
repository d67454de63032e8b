// <mochi-server-island>: fetch (batched, retried), states and events, reloads. See
// README.md for the protocol; live.js and stream.js add to the element.

import { mochiSetState, mochiEmit, mochiIdent, mochiFail, mochiWhenVisible } from './base.js';
import { mochiWhenParsed } from './parsed.js';

/** `{prefix}/`: the runtime's modules are served from `{prefix}/runtime-{hash}/`. */
const MOCHI_BASE = new URL('..', import.meta.url);

const MOCHI_DEFAULT_RETRIES = 2;
const MOCHI_BACKOFF_BASE_MS = 200;
const MOCHI_BACKOFF_CAP_MS = 5000;
// MOCHI_MAX_BATCH, MOCHI_MAX_BATCH_URL, MOCHI_BATCH_TYPE, MOCHI_MAX_RETRIES and
// MOCHI_RETRIED (the statuses worth a retry) are mochi's Rust constants, written in
// when the runtime is built (mochi/src/assets.rs, `wire_constants`): one source for
// both sides, so a page's preload `Link` names the very batch URL built here.

/** Connected server islands, for `mochi:reload` and live.js. */
export const mochiServerIslands = new Set();

/** What live.js adds to an island as it connects and disconnects. */
export const mochiLive = {};

/** Set by stream.js once the document has ended: an island marked `stream` after that
 * has no part coming, and loads the usual way. */
export const mochiStream = { over: false };

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
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => resolve(clearTimeout(timer)), { once: true });
  });
}

/** The media type of a response, without its parameters. */
function mochiType(res) {
  return (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
}

/** `html` parsed in `el`'s context, its scripts to run on insertion (unlike innerHTML's). */
function mochiHtml(el, html) {
  const range = document.createRange();
  range.selectNodeContents(el);
  return range.createContextualFragment(html);
}

/** One request; `{status, html}`, `{status, error, final}` (retrying cannot change it)
 * or `{status, error}` (502, 503, 504, network error: worth a retry). Never rejects. */
async function mochiAttempt(url, init) {
  try {
    const res = await fetch(url, init);
    if (res.status === 200 && mochiType(res) === 'text/html') return { status: 200, html: await res.text() };
    if (!MOCHI_RETRIED.includes(res.status)) {
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
    if (res.status === 200 && mochiType(res) === MOCHI_BATCH_TYPE && res.body) {
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
          else entry.settle({ status, error: `HTTP ${status}`, final: !MOCHI_RETRIED.includes(status) });
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
  /** Waiting for the document to be parsed up to it. */
  #parsing = false;

  connectedCallback() {
    mochiServerIslands.add(this);
    mochiLive.watch?.(this);
    const inFlight = this.#flight && !this.#abort?.signal.aborted;
    if (this.#settled || inFlight || this.#stopWait || this.#parsing) return;
    // Inside a streamed island that has not settled: its children may still be coming
    // (the browser puts a part in place as it parses it); stream.js starts it once the
    // part is in, or it is replaced by the island's answer.
    if (this.parentElement?.closest('mochi-server-island[stream]')) return;
    const inline = this.getAttribute('inline');
    if (inline !== null) {
      // Rendered by the server inside the answer that brought it in.
      if (inline === 'failed') {
        this.mochiFailFirst(500, 'nested render failed');
        return;
      }
      this.mochiShow(null, { inline: true });
      return;
    }
    if (this.hasAttribute('stream')) {
      // Its HTML is on its way in this document: stream.js brings it, or has it fetched.
      if (!mochiStream.over) return mochiSetState(this, 'streaming');
      this.removeAttribute('stream');
    }
    this.#parsing = true;
    mochiWhenParsed(() => {
      this.#parsing = false;
      if (this.isConnected) this.mochiBegin();
    });
  }

  /** Loads now, or once in view (defer-on=visible). */
  mochiBegin() {
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

  /** Shows `content`, the island's HTML (`null`: it is in place already), and says so
   * with `mochi:island-load`, whose detail `detail` completes. */
  mochiShow(content, detail) {
    this.#settled = true;
    if (content) this.replaceChildren(content);
    mochiSetState(this, 'loaded');
    mochiEmit(this, 'mochi:island-load', { ...mochiIdent(this), status: 200, reload: false, stream: false, ...detail });
  }

  /** The first load failed for good: the error fallback, if any, replaces the fallback. */
  mochiFailFirst(status, error) {
    const template = this.querySelector(':scope > template[mochi-error-fallback]');
    if (template) this.replaceChildren(template.content);
    this.#settled = true;
    mochiFail(this, status, error, false);
    return false;
  }

  disconnectedCallback() {
    mochiServerIslands.delete(this);
    mochiLive.unwatch?.(this);
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
      if (!isReload) return this.mochiFailFirst(status, error);
      this.#settled = true;
      mochiFail(this, status, error, isReload);
      return false;
    };
    if (!name) return fail(0, 'no component-name');
    if (signed === null || signed === '') return fail(0, 'no signed-props');

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
      this.mochiShow(mochiHtml(this, outcome.html), { reload: isReload });
      return true;
    }
    return fail(outcome.status, outcome.error);
  }

  /** Whether a load is in flight (a refresh skips its tick then). */
  get mochiBusy() {
    return this.#flight !== undefined;
  }
}

if (!customElements.get('mochi-server-island')) customElements.define('mochi-server-island', MochiServerIsland);

document.addEventListener('mochi:reload', (e) => {
  const name = e.detail?.name;
  for (const el of mochiServerIslands) {
    if (!name || el.getAttribute('component-name') === name) el.reload();
  }
});
