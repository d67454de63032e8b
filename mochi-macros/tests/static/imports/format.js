import { words } from './shared/words.js';

export function format(word, props) {
  return `${word}: ${JSON.stringify(props)} (${words.length})`;
}
