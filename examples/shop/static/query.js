// Hydrates a QueryEcho island: shows the query in the title, as text.
export default function hydrate(element, props) {
  element.dataset.query = props.q;
  document.title = `${props.q} · Search · Mochi Shop`;
}
