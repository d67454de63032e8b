// mochi client runtime: the devalue decoder.
//
// `mochiParse(text)` reads the props text written by mochi's Rust
// `devalue::to_string` (byte-identical to npm devalue's `stringify`) and
// returns the same JavaScript value as npm devalue's `parse`: Date, Map,
// Set, BigInt, URL, URLSearchParams, RegExp, ArrayBuffer, typed arrays,
// DataView, boxed primitives, null-prototype objects, holes and sparse
// arrays, the sentinels (undefined, NaN, ±Infinity, -0), and shared or
// cyclic references (one object per slot).
//
// It is stricter than npm devalue on hostile input and throws instead of
// guessing: indices must be integers within the array, `__proto__` keys are
// refused, containers nest at most 128 deep, a sparse array may not declare
// more elements than max(100000, text length), unknown tags are an error.
//
// A module of its own, imported by hydrate.js; `mochiParse` is its one export.

export function mochiParse(text) {
  'use strict';

  const UNDEFINED = -1;
  const HOLE = -2;
  const NAN = -3;
  const POSITIVE_INFINITY = -4;
  const NEGATIVE_INFINITY = -5;
  const NEGATIVE_ZERO = -6;
  const SPARSE = -7;
  const MAX_DEPTH = 128;
  const TYPED_ARRAYS = [
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
    'Float16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
    'BigInt64Array', 'BigUint64Array', 'DataView',
  ];
  const TEMPORAL = [
    'Temporal.Duration', 'Temporal.Instant', 'Temporal.PlainDate', 'Temporal.PlainTime',
    'Temporal.PlainDateTime', 'Temporal.PlainMonthDay', 'Temporal.PlainYearMonth',
    'Temporal.ZonedDateTime',
  ];

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
  const maxSparseLength = Math.max(100000, text.length);
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

        case 'Object': {
          // A boxed primitive: it may only wrap a primitive (or a BigInt).
          const inner = value[1];
          if (!sentinel(inner)) {
            if (!isIndex(inner)) fail(`slot ${index}: bad boxed value`);
            const wrapped = values[inner];
            if (wrapped !== null && typeof wrapped === 'object' &&
                !(Array.isArray(wrapped) && wrapped[0] === 'BigInt')) {
              fail(`slot ${index}: a boxed value must be a primitive`);
            }
          }
          return set(Object(hydrate(inner)));
        }

        case 'BigInt':
          return set(BigInt(str(value[1], index)));

        case 'null': {
          if (value.length % 2 !== 1) fail(`slot ${index}: malformed object`);
          const object = set(Object.create(null));
          enter(index);
          for (let i = 1; i < value.length; i += 2) {
            const key = value[i];
            if (typeof key !== 'string') fail(`slot ${index}: non-string key`);
            if (key === '__proto__') fail(`slot ${index}: __proto__ key`);
            object[key] = hydrate(value[i + 1]);
          }
          depth--;
          return object;
        }

        case 'ArrayBuffer':
          return set(decodeBase64(str(value[1], index)));

        case 'URL':
          return set(new URL(str(value[1], index)));

        case 'URLSearchParams':
          return set(new URLSearchParams(str(value[1], index)));

        default:
          if (TYPED_ARRAYS.includes(type)) {
            const b = value[1];
            if (!isIndex(b) || !Array.isArray(values[b]) || values[b][0] !== 'ArrayBuffer') {
              fail(`slot ${index}: ${type} must view an ArrayBuffer`);
            }
            const Ctor = globalThis[type];
            if (typeof Ctor !== 'function') fail(`slot ${index}: ${type} is not available here`);
            const buffer = hydrate(b);
            if (value.length > 2) {
              const offset = value[2];
              const length = value[3];
              if (!Number.isInteger(offset) || !Number.isInteger(length)) {
                fail(`slot ${index}: malformed ${type}`);
              }
              return set(new Ctor(buffer, offset, length));
            }
            return set(new Ctor(buffer));
          }
          if (TEMPORAL.includes(type)) {
            const T = globalThis.Temporal;
            if (!T) fail(`slot ${index}: ${type} needs Temporal support`);
            return set(T[type.slice(9)].from(str(value[1], index)));
          }
          fail(`slot ${index}: unknown type ${JSON.stringify(type)}`);
      }
    }

    if (value[0] === SPARSE) {
      const length = value[1];
      if (!Number.isInteger(length) || length < 0 || length > maxSparseLength) {
        fail(`slot ${index}: bad sparse array length`);
      }
      if (value.length % 2 !== 0) fail(`slot ${index}: malformed sparse array`);
      const array = set([]);
      // Touching the largest index first keeps the engine from allocating
      // storage for `length` elements (as npm devalue does).
      array[4294967294] = undefined;
      delete array[4294967294];
      array.length = length;
      enter(index);
      for (let i = 2; i < value.length; i += 2) {
        const at = value[i];
        if (!Number.isInteger(at) || at < 0 || at >= length) {
          fail(`slot ${index}: bad sparse array index`);
        }
        array[at] = hydrate(value[i + 1]);
      }
      depth--;
      return array;
    }

    const array = set(new Array(value.length));
    enter(index);
    for (let i = 0; i < value.length; i++) {
      const n = value[i];
      if (n === HOLE) continue;
      array[i] = hydrate(n);
    }
    depth--;
    return array;
  }

  return hydrate(0);
}
