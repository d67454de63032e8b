// Streamed server islands: the parts a streamed page ends with. Loaded when a page
// has a streamed island; see README.md.

// MOCHI_PART_MARKER, what a part's `for` starts with before its island's id, is mochi's
// Rust constant (`stream::MARKER`), written in when the runtime is built.
// Defines <mochi-server-island> first: islands are upgraded before the parts that settle them.
import { mochiStream } from './island.js';


/** Takes a streamed island out of the stream; false if it had left it already. */
function mochiUnstream(island) {
  if (!island.hasAttribute('stream')) return false;
  island.removeAttribute('stream');
  return true;
}

/** The stream gave up on the island (its deadline), or ended without it: it is fetched. */
function mochiStreamMissed(island) {
  if (mochiUnstream(island) && island.isConnected) island.mochiBegin();
}

/** The document has ended (its parts, already parsed, have settled their islands): what
 * it did not bring is fetched. */
function mochiStreamEnded() {
  mochiStream.over = true;
  for (const island of document.querySelectorAll('mochi-server-island[stream]')) mochiStreamMissed(island);
}

/** Whether the browser put the island's part in place itself: its `<?start>` marker (a
 * processing instruction, or a comment where the browser lacks Declarative Partial
 * Updates) is gone. */
function mochiPatched(island) {
  return ![...island.childNodes].some((n) => (n.nodeType === 7 && n.target === 'start') || (n.nodeType === 8 && n.data.startsWith('?start')));
}

/** Settles a streamed island when its part has come: the browser has put the part's HTML
 * in place of the fallback already (Declarative Partial Updates), or, in a browser
 * without them, this moves the content of the <template for> before it in (and, should
 * the template not be there, has the island fetched). */
class MochiSwap extends HTMLElement {
  connectedCallback() {
    const id = this.getAttribute('island-id') || '';
    const before = this.previousElementSibling;
    const part = before?.localName === 'template' && before.getAttribute('for') === MOCHI_PART_MARKER + id ? before : null;
    const island = document.querySelector(`mochi-server-island[island-id="${CSS.escape(id)}"][stream]`);
    if (island?.mochiBegin) {
      // Failed or panicked while streaming: like a final failure of its first load.
      if (this.hasAttribute('failed')) mochiUnstream(island) && island.mochiFailFirst(500, 'streamed render failed');
      else if (this.hasAttribute('fetch') || !(part || mochiPatched(island))) mochiStreamMissed(island);
      else if (mochiUnstream(island)) {
        island.mochiShow(part ? part.content : null, { stream: true });
        // The islands in the part waited for all of it (see island.js).
        for (const nested of island.querySelectorAll('mochi-server-island')) nested.connectedCallback?.();
      }
    }
    part?.remove();
    this.remove();
  }
}

/** Written after a streamed page's own HTML: everything before it is parsed (see base.js). */
class MochiStreamStart extends HTMLElement {
  connectedCallback() {
    document.dispatchEvent(new Event('mochi:parsed'));
  }
}

if (!customElements.get('mochi-swap')) customElements.define('mochi-swap', MochiSwap);
if (!customElements.get('mochi-stream-start')) customElements.define('mochi-stream-start', MochiStreamStart);
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mochiStreamEnded, { once: true });
else mochiStreamEnded();
