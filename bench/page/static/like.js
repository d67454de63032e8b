// Hydrates a LikeButton island of the benchmark page: each click adds one.
export default function hydrate(element, props) {
  const button = element.querySelector('button');
  const count = element.querySelector('.likes');
  let n = props.n;
  button.addEventListener('click', () => {
    n += 1;
    count.textContent = String(n);
  });
}
