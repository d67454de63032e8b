// A client module with imports: mochi embeds and serves what it imports
// (tests/browser.rs, `client_module_imports_load`).
import { greet } from './lib/greet.js';
import './lib/mark.js';

export default function (element, props) {
  element.querySelector('.greeting').textContent = greet(props.name);
}
