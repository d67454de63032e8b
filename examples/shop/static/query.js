// Hydrates a QueryEcho island: shows the query in the title, as text.
// Its props are typed by static/islands.d.ts (see add_to_cart.js).
/**
 * @param {HTMLElement} element
 * @param {import('./islands').QueryEchoProps} props
 */
export default function hydrate(element, props) {
  element.dataset.query = props.q;
  document.title = `${props.q} · Search · Mochi Shop`;
}
