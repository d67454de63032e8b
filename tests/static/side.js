// Classic script inside a server island's answer: runs once per insertion.
window.__sideRuns = (window.__sideRuns ?? 0) + 1;
