// Client module of the `EndpointWidget` island in tests/tests/endpoint.rs:
// only its URL and bytes are checked there.
export default function hydrate(element) {
  element.dataset.hydrated = 'endpoint-widget';
}
