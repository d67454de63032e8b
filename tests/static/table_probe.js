// Client module of the props-table test islands (tests/tests/props_table.rs):
// only its URL is checked there.
export default function hydrate(element, props, islandId) {
  element.dataset.tableProbe = islandId;
}
