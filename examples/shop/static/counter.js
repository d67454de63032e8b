// Hydrates a Counter island: each click adds one.
export default function hydrate(element, props) {
  const button = element.querySelector('button');
  const count = element.querySelector('.count');
  let n = props.start;
  button.addEventListener('click', () => {
    n += 1;
    count.textContent = String(n);
  });
}
