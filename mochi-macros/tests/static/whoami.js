// Test client module: shows the island id it was given.
export function hydrate(element, props, islandId) {
  element.dataset.hydratedAs = `${props.tag}:${islandId}`;
}
