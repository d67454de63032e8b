// Module script inside a server island's answer: evaluated once per page.
window.__sideModuleRuns = (window.__sideModuleRuns ?? 0) + 1;
