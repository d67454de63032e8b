// Test client module: counts clicks on the island's button.
export default function hydrate(element, props) {
  const button = element.querySelector('button');
  let n = props.count;
  button.addEventListener('click', () => {
    n += 1;
    button.textContent = String(n);
  });
}
