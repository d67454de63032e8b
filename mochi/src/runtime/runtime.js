// mochi client runtime: <mochi-server-island> and <mochi-island>.
//
// Served by mochi as `{prefix}/runtime-{hash}.js`, the concatenation of
// devalue.js (which declares `mochiParse`) and this file, loaded with
// `<script type="module" src=…>`. No inline scripts, no dependencies, so a
// strict `Content-Security-Policy: script-src 'self'` works.
//
// Observable state: each island element carries `mochi-state`:
//   server islands   waiting (defer-on=visible, not yet in view) → loading → loaded | error
//   hydrated islands waiting (trigger not yet met) → hydrating → hydrated | error
// Events (bubbling, composed CustomEvents on the element):
//   mochi:island-load    {status, componentName, islandId}      after a swap
//   mochi:island-error   {status, error, componentName, islandId} on final failure
//                        (status 0 = network error or no request made;
//                         hydration failures carry no status)
//   mochi:island-hydrate {componentName, islandId}               after hydration

/** Directory of this script: `{prefix}/`. Island URLs hang off it. */
const MOCHI_BASE = new URL('.', import.meta.url);

const MOCHI_DEFAULT_RETRIES = 2;
const MOCHI_MAX_RETRIES = 10;
const MOCHI_BACKOFF_BASE_MS = 200;
const MOCHI_BACKOFF_CAP_MS = 5000;

/** Elements whose work has started; guards reconnects and double upgrades. */
const mochiStarted = new WeakSet();

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

function mochiFail(el, status, error) {
  const message = error instanceof Error ? error.message : String(error);
  mochiSetState(el, 'error');
  const detail = { ...mochiIdent(el), error: message };
  if (status !== undefined) detail.status = status;
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

function mochiBackoff(attempt) {
  return Math.min(MOCHI_BACKOFF_CAP_MS, MOCHI_BACKOFF_BASE_MS * 2 ** attempt);
}

function mochiSleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Run `start` when `el` intersects the viewport (grown by its `root-margin`).
 * Returns a function that cancels the wait (used on disconnect).
 */
function mochiWhenVisible(el, start) {
  if (typeof IntersectionObserver === 'undefined') {
    start();
    return () => {};
  }
  const callback = (entries, observer) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      start();
    }
  };
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

async function mochiLoadServerIsland(el) {
  const name = el.getAttribute('component-name');
  const signed = el.getAttribute('signed-props');
  if (!name) return mochiFail(el, 0, 'missing component-name attribute');
  if (signed === null || signed === '') return mochiFail(el, 0, 'missing signed-props attribute');

  const url = new URL(`island/${encodeURIComponent(name)}`, MOCHI_BASE);
  url.search = `?p=${encodeURIComponent(signed)}&i=${encodeURIComponent(el.getAttribute('island-id') || '')}`;
  const retries = mochiRetries(el);
  mochiSetState(el, 'loading');

  for (let attempt = 0; ; attempt++) {
    let res;
    let failure;
    try {
      res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    } catch (e) {
      failure = { status: 0, error: e };
    }
    if (res) {
      if (res.status === 200 && mochiIsHtml(res)) {
        let html;
        try {
          html = await res.text();
        } catch (e) {
          failure = { status: 0, error: e };
        }
        if (html !== undefined) {
          mochiSwap(el, html);
          mochiSetState(el, 'loaded');
          mochiEmit(el, 'mochi:island-load', { ...mochiIdent(el), status: res.status });
          return;
        }
      } else if (res.status >= 500) {
        failure = { status: res.status, error: `HTTP ${res.status}` };
      } else {
        // 4xx (and any other non-swappable answer) is final: retrying the
        // same signed URL cannot change it.
        const why = res.status === 200 ? `unexpected content type ${res.headers.get('content-type')}` : `HTTP ${res.status}`;
        return mochiFail(el, res.status, why);
      }
    }
    if (attempt >= retries) return mochiFail(el, failure.status, failure.error);
    await mochiSleep(mochiBackoff(attempt));
  }
}

/** Find the props block, looking in the element's tree (document or shadow root). */
function mochiPropsBlock(el, ref) {
  const root = el.getRootNode();
  if (root && typeof root.getElementById === 'function') {
    const found = root.getElementById(ref);
    if (found) return found;
  }
  return document.getElementById(ref);
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
    const mod = await import(new URL(client, document.baseURI).href);
    const hydrate = mod.default ?? mod.hydrate;
    if (typeof hydrate !== 'function') throw new Error(`client module ${client} exports no default or hydrate function`);
    await hydrate(el, props, ident.islandId);
  } catch (e) {
    return mochiFail(el, undefined, e);
  }
  mochiSetState(el, 'hydrated');
  mochiEmit(el, 'mochi:island-hydrate', ident);
}

function mochiWhenIdle(start) {
  if (typeof requestIdleCallback === 'function') {
    requestIdleCallback(() => start(), { timeout: 2000 });
  } else {
    setTimeout(start, 200);
  }
}

function mochiWhenMedia(el, start) {
  // An empty query matches everything, like matchMedia('').
  const mql = matchMedia(el.getAttribute('media') || '');
  if (mql.matches) return start();
  const onChange = (e) => {
    if (e.matches) {
      mql.removeEventListener('change', onChange);
      start();
    }
  };
  mql.addEventListener('change', onChange);
}

function mochiDefineElements() {
  class MochiServerIsland extends HTMLElement {
    connectedCallback() {
      if (mochiStarted.has(this)) return;
      const start = () => {
        if (mochiStarted.has(this)) return;
        mochiStarted.add(this);
        this._mochiCancel = undefined;
        mochiLoadServerIsland(this).catch((e) => mochiFail(this, 0, e));
      };
      if (this.getAttribute('defer-on') === 'visible') {
        if (this._mochiCancel) return;
        mochiSetState(this, 'waiting');
        this._mochiCancel = mochiWhenVisible(this, start);
      } else {
        start();
      }
    }

    disconnectedCallback() {
      // Not yet fetched: stop watching; a reconnect watches again.
      if (this._mochiCancel) {
        this._mochiCancel();
        this._mochiCancel = undefined;
      }
    }
  }

  class MochiIsland extends HTMLElement {
    connectedCallback() {
      if (mochiStarted.has(this) || this._mochiCancel) return;
      const start = () => {
        if (mochiStarted.has(this) || !this.isConnected) return;
        mochiStarted.add(this);
        this._mochiCancel = undefined;
        mochiHydrate(this);
      };
      const on = this.getAttribute('hydrate-on') || 'load';
      switch (on) {
        case 'load':
          start();
          return;
        case 'idle':
          mochiSetState(this, 'waiting');
          mochiWhenIdle(start);
          return;
        case 'visible':
          mochiSetState(this, 'waiting');
          this._mochiCancel = mochiWhenVisible(this, start);
          return;
        case 'media':
          mochiSetState(this, 'waiting');
          mochiWhenMedia(this, start);
          return;
        default:
          console.warn(`mochi: unknown hydrate-on="${on}" on ${this.getAttribute('component-name')}; hydrating now`);
          start();
      }
    }

    disconnectedCallback() {
      if (this._mochiCancel) {
        this._mochiCancel();
        this._mochiCancel = undefined;
      }
    }
  }

  if (!customElements.get('mochi-server-island')) customElements.define('mochi-server-island', MochiServerIsland);
  if (!customElements.get('mochi-island')) customElements.define('mochi-island', MochiIsland);
}

if (typeof customElements !== 'undefined') mochiDefineElements();
