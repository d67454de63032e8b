// The client module of the README's tour (its doctests embed it): counts
// clicks on the island's button.
export default function hydrate(element, props) {
  const button = element.querySelector('button');
  let count = props.start ?? 0;
  button?.addEventListener('click', () => {
    count += 1;
    button.textContent = `${props.label}: ${count}`;
  });
}
