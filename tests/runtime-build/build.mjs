// Bundles and minifies mochi's client runtime: each module mochi serves, from the
// sources in mochi/src/runtime, into the directory given (mochi/src/runtime/dist when
// run by `MOCHI_UPDATE_RUNTIME=1 cargo test -p mochi --lib built_runtime`).
//
// Users never run this: the output is committed, and `the_built_runtime_is_current` (mochi/src/assets.rs)
// fails when it is stale. That test passes the wire constants, which are written into
// the modules where they are used. Shared code (base.js, devalue.js) is bundled into each
// module that imports it; island.js stays a module of its own, which live.js and
// stream.js import.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const [out, constants] = process.argv.slice(2);
if (!out || !constants) throw new Error('usage: node build.mjs <output directory> <constants as JSON>');
/** The wire constants, `{"MOCHI_MAX_BATCH": "16", …}`, from mochi's Rust constants. */
const define = JSON.parse(constants);
const sources = fileURLToPath(new URL('../../mochi/src/runtime/', import.meta.url));

/** The modules mochi serves, as in mochi/src/assets.rs `MODULES`. */
const features = ['island', 'live', 'stream', 'hydrate'];
const common = {
  outdir: out,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
};
// The entry imports the feature modules by name at run time: nothing to bundle.
await build({ ...common, entryPoints: [join(sources, 'mochi.js')], bundle: false });
await build({
  ...common,
  entryPoints: features.map((name) => join(sources, `${name}.js`)),
  bundle: true,
  external: ['./island.js'],
  define,
});
