// Test client module for an island without props.
export default function hydrate(element) {
  element.querySelector('time').textContent = new Date().toISOString();
}
