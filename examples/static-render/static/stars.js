// Hydrates the stars: a click shows the rating the props carry.
export default function hydrate(el, props) {
  el.addEventListener('click', () => { el.title = `${props.rating} of 5`; });
}
