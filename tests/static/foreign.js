// A module outside mochi's client path: hydration must never import it.
window.__foreignRuns = (window.__foreignRuns ?? 0) + 1;
export default function hydrate() {}
