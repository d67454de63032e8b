// Cross-check driver for mochi's devalue codec, run by
// tests/tests/devalue_node.rs (`cargo test -p mochi-tests --test devalue_node`).
//
// Reads one JSON document from stdin:
//   {
//     "decoder": "/abs/path/to/mochi/src/runtime/devalue.js",
//     "cases":   [{ "name": "...", "expr": "<JS expression>", "rust": "<Rust to_string output or null>" }],
//     "accept":  [{ "name": "...", "text": "<devalue text mochiParse must read like npm parse>" }],
//     "hostile": ["<devalue text mochiParse must reject>"],
//     "consistent": ["<text mochiParse must reject or read as npm parse does>"]
//   }
// and writes one JSON document to stdout with, per case, npm devalue's
// `stringify` of the evaluated expression and whether mochi's client
// decoder (`mochiParse`) reads that text (and Rust's) exactly as npm
// devalue's `parse` does.

import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as devalue from 'devalue';

const input = JSON.parse(readFileSync(0, 'utf8'));
// The decoder is an ES module with one export; read as a function body here.
const decoderSource = readFileSync(input.decoder, 'utf8').replace(/^export function mochiParse/m, 'function mochiParse');
const mochiParse = new Function(decoderSource + '\nreturn mochiParse;')();
const devalueVersion = JSON.parse(
  readFileSync(new URL('./node_modules/devalue/package.json', import.meta.url), 'utf8')
).version;

function describe(e) {
  return e && e.message ? e.message : String(e);
}

/**
 * Whether `value` holds an invalid Date (`new Date('x')`) anywhere: one
 * that isDeepStrictEqual finds unequal even to itself (it compares
 * `getTime()`, which is NaN).
 */
function hasInvalidDate(value, seen = new Set()) {
  if (value instanceof Date) return Number.isNaN(value.getTime());
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  const children =
    value instanceof Map ? [...value.keys(), ...value.values()]
    : value instanceof Set ? [...value]
    : Object.values(value);
  return children.some((child) => hasInvalidDate(child, seen));
}

/**
 * Does `mochiParse(text)` give the same value as `devalue.parse(text)`?
 * Compared structurally (isDeepStrictEqual: types, prototypes, NaN, -0,
 * Map/Set/Date/RegExp/typed-array contents), and by stringifying both again,
 * which also catches URL differences and lost or extra shared references
 * (and is all that judges values holding an invalid Date: devalue writes
 * those as `["Date",""]`).
 */
function sameAsNpm(text) {
  let expected;
  try {
    expected = devalue.parse(text);
  } catch (e) {
    return `npm devalue.parse threw: ${describe(e)}`;
  }
  let actual;
  try {
    actual = mochiParse(text);
  } catch (e) {
    return `mochiParse threw: ${describe(e)}`;
  }
  if (!isDeepStrictEqual(actual, expected) && !hasInvalidDate(expected)) {
    return 'mochiParse value differs from devalue.parse (isDeepStrictEqual)';
  }
  let again;
  try {
    again = devalue.stringify(actual);
  } catch (e) {
    return `re-stringifying mochiParse's value threw: ${describe(e)}`;
  }
  const reference = devalue.stringify(expected);
  if (again !== reference) {
    return `re-stringified values differ: mochiParse ${again} vs devalue.parse ${reference}`;
  }
  return null;
}

const cases = input.cases.map(({ name, expr, rust }) => {
  const out = { name, js: null, error: null, decoder: null, decoder_rust: null };
  let value;
  try {
    value = new Function(`return (${expr});`)();
    out.js = devalue.stringify(value);
  } catch (e) {
    out.error = `evaluating or stringifying ${expr}: ${describe(e)}`;
    return out;
  }
  // What Rust writes, mochiParse must read as npm does; a decode-only text
  // may hold a type Rust never writes, which it may refuse instead.
  out.decoder = rust != null ? sameAsNpm(out.js) : readsOrRefuses(out.js);
  if (rust != null && rust !== out.js) {
    out.decoder_rust = sameAsNpm(rust);
  }
  return out;
});

const accept = input.accept.map(({ name, text }) => ({ name, decoder: sameAsNpm(text) }));

const hostile = input.hostile.map((text) => {
  let threw = false;
  let message = null;
  try {
    mochiParse(text);
  } catch (e) {
    threw = true;
    message = describe(e);
  }
  let npmThrew = false;
  try {
    devalue.parse(text);
  } catch {
    npmThrew = true;
  }
  return { text, threw, message, npm_threw: npmThrew };
});

/** Refusing is always allowed; accepting means reading what npm reads (and
 * never accepting what npm refuses). */
function readsOrRefuses(text) {
  try {
    mochiParse(text);
  } catch {
    return null;
  }
  return sameAsNpm(text);
}

const consistent = input.consistent.map((text) => ({ text, decoder: readsOrRefuses(text) }));

process.stdout.write(
  JSON.stringify({ node: process.version, devalue: devalueVersion, cases, accept, hostile, consistent })
);
