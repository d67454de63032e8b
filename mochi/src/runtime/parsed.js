// The page's parse state, shared by island.js and hydrate.js. Bundled into each, so
// each keeps its own copy, read from the document and its events.

/** Everything up to the streamed parts (or the whole document) is parsed: an island's
 * children are complete, so it may start. On a streamed page, <mochi-stream-start>
 * (stream.js) says so with `mochi:parsed` and stays as the mark. */
let parsed = document.readyState !== 'loading' || !!document.querySelector('mochi-stream-start');
const onParsed = [];
export function mochiWhenParsed(start) {
  if (parsed) start();
  else onParsed.push(start);
}
function parseDone() {
  parsed = true;
  for (const start of onParsed.splice(0)) start();
}
if (!parsed) {
  document.addEventListener('DOMContentLoaded', parseDone, { once: true });
  document.addEventListener('mochi:parsed', parseDone, { once: true });
}
