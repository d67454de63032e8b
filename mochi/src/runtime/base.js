// What the feature modules share: island states and events, and the viewport watch.
// Bundled into each module that imports it; it keeps no state.

export function mochiSetState(el, state) {
  el.setAttribute('mochi-state', state);
}

export function mochiEmit(el, name, detail) {
  el.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }));
}

export function mochiIdent(el) {
  return {
    componentName: el.getAttribute('component-name') || '',
    islandId: el.getAttribute('island-id') || '',
  };
}

export function mochiFail(el, status, error, reload) {
  const message = error instanceof Error ? error.message : String(error);
  mochiSetState(el, 'error');
  const detail = { ...mochiIdent(el), error: message };
  if (status !== undefined) detail.status = status;
  if (reload !== undefined) detail.reload = reload;
  mochiEmit(el, 'mochi:island-error', detail);
  console.warn(`mochi: island ${detail.componentName || '?'} (${detail.islandId || '?'}) failed: ${message}`);
}

/**
 * A browser with Declarative Partial Updates puts a streamed island's part in place as it
 * parses it, so the elements in it connect before their children have: a promise that
 * settles once `el`'s streamed island has all of its part (its own load or error event),
 * or null if `el` is in none.
 */
export function mochiPartPending(el) {
  const host = el.parentElement?.closest('mochi-server-island[stream]');
  if (!host) return null;
  return new Promise((resolve) => {
    const done = (e) => {
      if (e.target !== host) return;
      host.removeEventListener('mochi:island-load', done);
      host.removeEventListener('mochi:island-error', done);
      resolve();
    };
    host.addEventListener('mochi:island-load', done);
    host.addEventListener('mochi:island-error', done);
  });
}

/**
 * Calls `onChange(inView)` whenever `el` enters or leaves the viewport
 * (grown by its `root-margin`). Returns a function that stops watching.
 */
export function mochiObserve(el, onChange) {
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
export function mochiWhenVisible(el, start) {
  let fired = false;
  const stop = mochiObserve(el, (inView) => {
    if (!inView || fired) return;
    fired = true;
    stop();
    start();
  });
  return stop;
}
