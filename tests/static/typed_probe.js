// Hydrates a TypedProbe island (tests/tests/typescript.rs): reads its
// props by the names its Rust parameters have.
/**
 * @param {HTMLElement} element
 * @param {import('./islands').TypedProbeProps} props
 */
export default function hydrate(element, props) {
  element.dataset.product = String(props.product_id);
  element.title = props.label.toUpperCase();
}
