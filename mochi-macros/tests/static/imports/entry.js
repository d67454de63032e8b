// A client module with imports (mochi-macros/src/imports.rs tests).
import { format } from './format.js';
import { words } from './shared/words.js';

export default function (element, props) {
  element.textContent = format(words[0], props);
}
