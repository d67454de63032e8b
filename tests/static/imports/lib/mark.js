// A side-effect import: marks that it ran.
window.__markRan = (window.__markRan ?? 0) + 1;
