// Client module of the deferred + hydrated `TableCombo` island
// (tests/tests/props_table.rs).
export default function hydrate(element, props, islandId) {
  element.dataset.tableCombo = `${islandId}:${props.n}`;
}
