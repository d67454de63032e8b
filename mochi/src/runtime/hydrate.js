// <mochi-island>: hydrated islands, their props and client modules. Loaded when a page
// has a hydrated island; see README.md.

import { mochiSetState, mochiEmit, mochiIdent, mochiFail, mochiWhenVisible, mochiPartPending } from './base.js';
import { mochiWhenParsed } from './parsed.js';

/** `{prefix}/`: the runtime's modules are served from `{prefix}/runtime-{hash}/`. */
const MOCHI_BASE = new URL('..', import.meta.url);
import { mochiParse } from './devalue.js';

/** Where client modules are served: the only modules hydration imports. */
const MOCHI_CLIENT = new URL('client/', MOCHI_BASE);

/** Hydrated islands whose hydration has started; guards reconnects and double upgrades. */
const mochiStarted = new WeakSet();

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
    const ready = () => {
      // Removed meanwhile: a reconnect waits anew.
      if (this.#cancel !== parsing) return;
      this.#cancel = undefined;
      this.#trigger(start);
    };
    // Inside a streamed part the browser is still putting in place, its children are
    // complete once the part is.
    mochiWhenParsed(() => {
      const pending = mochiPartPending(this);
      if (pending) pending.then(ready);
      else ready();
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

if (!customElements.get('mochi-island')) customElements.define('mochi-island', MochiIsland);
