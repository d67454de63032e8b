// Test client module: records what hydration received, so the browser
// tests can check props, island ids and how often each island hydrated.
export default function hydrate(element, props, islandId) {
  const seen = (window.__probe ??= {});
  seen[islandId] = { props, hydrations: (seen[islandId]?.hydrations ?? 0) + 1 };
  element.dataset.hydratedAs = islandId;
  const button = element.querySelector('button');
  if (button) {
    button.addEventListener('click', () => {
      button.textContent = String(Number(button.textContent) + 1);
    });
  }
}
