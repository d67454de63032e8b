// Live server islands: `reload-on` and `refresh-every`. Loaded when a page has an
// island with either; see README.md.

import { mochiObserve } from './base.js';
import { mochiLive, mochiServerIslands } from './island.js';

/** `setInterval`'s limit: a longer delay would fire at once. */
const MOCHI_MAX_TIMER_MS = 2 ** 31 - 1;
/** HTML's space-separated tokens split on ASCII whitespace only. */
const MOCHI_TOKEN_SPLIT = /[\t\n\f\r ]+/;
// MOCHI_MIN_REFRESH_MS is mochi's Rust constant, written in when the runtime is built.

/** Each watched island's AbortController: aborting it removes its listeners and timer. */
const watching = new WeakMap();

/** Sets up `el`'s reload-on and refresh-every (again, after a reconnect). */
function watch(el) {
  unwatch(el);
  const live = new AbortController();
  watching.set(el, live);
  const { signal } = live;
  for (const type of (el.getAttribute('reload-on') || '').split(MOCHI_TOKEN_SPLIT)) {
    if (type) document.addEventListener(type, () => el.reload(), { signal });
  }
  const every = Number(el.getAttribute('refresh-every'));
  if (!(every > 0)) return;
  let inView = false;
  const stopObserving = mochiObserve(el, (v) => (inView = v));
  const poll = () => {
    // A slow answer skips ticks rather than queueing them.
    if (inView && document.visibilityState === 'visible' && !el.mochiBusy) el.reload();
  };
  const timer = setInterval(poll, Math.min(MOCHI_MAX_TIMER_MS, Math.max(MOCHI_MIN_REFRESH_MS, every)));
  signal.addEventListener('abort', () => {
    clearInterval(timer);
    stopObserving();
  });
}

function unwatch(el) {
  watching.get(el)?.abort();
  watching.delete(el);
}

mochiLive.watch = watch;
mochiLive.unwatch = unwatch;
// Islands that connected before this module arrived.
for (const el of mochiServerIslands) watch(el);
