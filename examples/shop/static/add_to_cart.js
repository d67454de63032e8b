// Hydrates an AddToCart island: posts its form to /cart with fetch (same
// origin, so the session cookie goes along and a new one is kept), shows the
// line's quantity, and tells the page the cart changed. Without this module
// the form still works: the browser posts it and lands on /cart.
//
// Its props are typed by static/islands.d.ts, which the Rust code writes
// (`MOCHI_UPDATE_TYPES=1 cargo test`); `tsc --checkJs` checks this module
// against them.
/**
 * @param {HTMLElement} element
 * @param {import('./islands').AddToCartProps} props
 */
export default function hydrate(element, props) {
  const form = element.querySelector('form');
  const status = element.querySelector('.status');
  element.dataset.productId = String(props.product_id);
  // One post at a time, in click order, so the last answer shown is the
  // latest state of the line.
  let queue = Promise.resolve();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // Browsers take a FormData here; TypeScript's DOM types do not say so.
    const body = new URLSearchParams(/** @type {any} */ (new FormData(form)));
    queue = queue.then(async () => {
      try {
        const res = await fetch(form.action, {
          method: 'POST',
          body,
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const line = await res.json();
        status.textContent = `${line.quantity} in cart`;
        document.dispatchEvent(new Event('cart-changed'));
      } catch (e) {
        status.textContent = 'Could not add it: please try again';
      }
    });
  });
}
