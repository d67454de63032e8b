// mochi's entry: imports the module of each feature the page uses, when its first
// element appears (parsed, streamed, or inserted later). See README.md.
const features = [
  ['island', 'mochi-server-island'],
  ['live', 'mochi-server-island[reload-on],mochi-server-island[refresh-every]'],
  ['stream', 'mochi-server-island[stream],mochi-swap,mochi-stream-start'],
  ['hydrate', 'mochi-island'],
];
const observer = new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) if (node.nodeType === 1) scan(node);
});
const watch = () => observer.observe(document, { childList: true, subtree: true });
function scan(node) {
  for (const feature of [...features]) {
    const [name, selector] = feature;
    if (node.matches(selector) || node.querySelector(selector)) {
      features.splice(features.indexOf(feature), 1);
      import(`./${name}.js`).catch((e) => {
        // The next element that needs it tries again; the console still says why.
        features.push(feature);
        watch();
        throw e;
      });
    }
  }
  if (!features.length) observer.disconnect();
}
watch();
scan(document.documentElement);
