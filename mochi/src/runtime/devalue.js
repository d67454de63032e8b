// mochi client runtime: the devalue decoder.
//
// `mochiParse(text)` reads the props text written by mochi's Rust
// `devalue::to_string` (byte-identical to npm devalue's `stringify`) and
// returns the same JavaScript value as npm devalue's `parse`. It reads what
// the Rust side writes and nothing more: objects, arrays, Date, Map, Set,
// BigInt, URL, RegExp, a Uint8Array over its ArrayBuffer, the sentinels
// (undefined, NaN, ±Infinity, -0), and shared references (one object per
// slot). The other types npm devalue knows (typed arrays but Uint8Array,
// boxed primitives, null-prototype objects, holes, sparse arrays,
// URLSearchParams, Temporal) are refused, as an unknown tag is.
//
// It is stricter than npm devalue on hostile input and throws instead of
// guessing: indices must be integers within the array, `__proto__` keys are
// refused, containers nest at most 128 deep.
//
// A module of its own, imported by hydrate.js; `mochiParse` is its one export.

export function mochiParse(text) {
  'use strict';

  const UNDEFINED = -1;
  const NAN = -3;
  const POSITIVE_INFINITY = -4;
  const NEGATIVE_INFINITY = -5;
  const NEGATIVE_ZERO = -6;
  const MAX_DEPTH = 128;

  function fail(why) {
    throw new Error('devalue: invalid input: ' + why);
  }

  if (typeof text !== 'string') fail('expected a string');

  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail('not JSON (' + e.message + ')');
  }

  function sentinel(index) {
    switch (index) {
      case UNDEFINED: return { value: undefined };
      case NAN: return { value: NaN };
      case POSITIVE_INFINITY: return { value: Infinity };
      case NEGATIVE_INFINITY: return { value: -Infinity };
      case NEGATIVE_ZERO: return { value: -0 };
      default: return null;
    }
  }

  if (typeof parsed === 'number') {
    const s = sentinel(parsed);
    if (!s) fail('a bare number must be a sentinel');
    return s.value;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) fail('expected a non-empty array');

  const values = parsed;
  const hydrated = new Array(values.length);
  const done = new Uint8Array(values.length);
  let depth = 0;

  function isIndex(n) {
    return Number.isInteger(n) && n >= 0 && n < values.length;
  }

  function str(value, i) {
    if (typeof value !== 'string') fail(`slot ${i}: expected a string`);
    return value;
  }

  function decodeBase64(b64) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(b64).buffer;
    const binary = atob(b64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function enter(i) {
    if (++depth > MAX_DEPTH) fail(`slot ${i}: nesting deeper than ${MAX_DEPTH}`);
  }

  function hydrate(index) {
    if (typeof index !== 'number') fail('expected an index');
    if (index < 0) {
      const s = sentinel(index);
      if (!s) fail(`invalid index ${index}`);
      return s.value;
    }
    if (!isIndex(index)) fail(`index ${index} out of range`);
    if (done[index]) return hydrated[index];

    const value = values[index];
    const set = (v) => {
      hydrated[index] = v;
      done[index] = 1;
      return v;
    };

    if (!value || typeof value !== 'object') return set(value);

    if (!Array.isArray(value)) {
      const object = set({});
      enter(index);
      for (const key of Object.keys(value)) {
        if (key === '__proto__') fail(`slot ${index}: __proto__ key`);
        object[key] = hydrate(value[key]);
      }
      depth--;
      return object;
    }

    if (typeof value[0] === 'string') {
      const type = value[0];
      switch (type) {
        case 'Date':
          return set(new Date(str(value[1], index)));

        case 'Set': {
          const result = set(new Set());
          enter(index);
          for (let i = 1; i < value.length; i++) result.add(hydrate(value[i]));
          depth--;
          return result;
        }

        case 'Map': {
          if (value.length % 2 !== 1) fail(`slot ${index}: malformed Map`);
          const result = set(new Map());
          enter(index);
          for (let i = 1; i < value.length; i += 2) {
            result.set(hydrate(value[i]), hydrate(value[i + 1]));
          }
          depth--;
          return result;
        }

        case 'RegExp': {
          const flags = value.length > 2 ? str(value[2], index) : undefined;
          return set(new RegExp(str(value[1], index), flags));
        }

        case 'BigInt':
          return set(BigInt(str(value[1], index)));

        case 'ArrayBuffer':
          return set(decodeBase64(str(value[1], index)));

        case 'URL':
          return set(new URL(str(value[1], index)));

        case 'Uint8Array': {
          const b = value[1];
          // Rust writes a view of a whole buffer of its own: no offset, no length.
          if (value.length !== 2 || !isIndex(b) || !Array.isArray(values[b]) || values[b][0] !== 'ArrayBuffer') {
            fail(`slot ${index}: Uint8Array must view a whole ArrayBuffer`);
          }
          return set(new Uint8Array(hydrate(b)));
        }

        default:
          fail(`slot ${index}: ${JSON.stringify(type)} is not a type mochi writes`);
      }
    }

    const array = set(new Array(value.length));
    enter(index);
    for (let i = 0; i < value.length; i++) {
      array[i] = hydrate(value[i]);
    }
    depth--;
    return array;
  }

  return hydrate(0);
}
