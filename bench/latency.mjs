#!/usr/bin/env node
// Time to islands (issue 13): how long after navigation start every island
// of a page has its final HTML, in headless Chromium with added latency, for
// mochi's ways of delivering islands, a plain page and the Astro peer.
//
//     node bench/latency.mjs                   # build both sides, 5 runs each, 100 ms
//     node bench/latency.mjs --runs 9 --latency 100 --islands 3,20
//     node bench/latency.mjs --only plain,streamed,batched --no-build --json out.json
//     node bench/latency.mjs --profiles latency,1.6mbit,400kbit --runs 7
//     node bench/latency.mjs --help
//
// Needs `npm ci` in bench/ (playwright-core; Chromium is the system's
// /usr/bin/chromium, CHROME_BIN overrides) and in bench/astro-peer (Astro 5
// and @astrojs/node): the script runs both if node_modules is missing.
//
// What it does:
//
// 1. builds `example-bench-latency` in release (`nice -n 10 cargo build
//    -j 1`) and the Astro peer (`astro build`), unless --no-build;
// 2. starts both on free loopback ports: the mochi binary with one worker
//    (the Node server has one thread too) and `node dist/server/entry.mjs`
//    with PORT and HOST;
// 3. launches headless Chromium once; every run gets a new browser context
//    (no cache, no cookies, no open connections) with the HTTP cache
//    disabled, and LATENCY ms of round trip added one of two ways (--net):
//    - `devtools` (the default, and the issue's method):
//      `Network.emulateNetworkConditions({latency})`. Chromium holds each
//      response until LATENCY after its request was sent: a floor, not an
//      addition, so a response that takes the server 300 ms arrives after
//      300 ms, not 400, and TCP connects cost nothing;
//    - `proxy`: bench/delay-proxy.mjs in front of each server (in a process
//      of its own) delays every chunk by half the round trip each way and a
//      new connection's first bytes by one more round trip (its handshake):
//      a real round trip on top of the server's time. (`tc netem` would do
//      the same in the kernel, but this machine's kernel has no netem.)
//    Either way Chromium's six HTTP/1.1 connections per host apply;
// 4. one untimed warm-up per page, then RUNS rounds; each round visits every
//    page once (every variant and peer, 3 and 20 islands), in an order
//    rotated from round to round, so drift hits all alike;
// 5. a page is done when its document holds as many `[data-done]` elements
//    as its `<meta name="bench-islands">` says (a visit with more fails) and
//    no `.fallback`
//    (the markers are in the final HTML of every island, mochi's and
//    Astro's alike): a MutationObserver injected before the document's
//    first byte notes `performance.now()`, which counts from navigation
//    start, at the first DOM change that makes it so. A streamed island's
//    part arrives as `<template for>`: its markers are in the template's
//    content, which is no part of the document, until the browser puts
//    them in place of the fallback (Declarative Partial Updates, or the
//    runtime where the browser lacks them), and that is what counts;
// 6. from the DevTools Network events it counts the page's requests and
//    island requests (mochi: `…/_mochi/island/` and `…/_mochi/batch` under
//    any scope, a batch being one request; Astro: `/_server-islands/`),
//    when the first island request started, and the bytes received
//    (`encodedDataLength` of `loadingFinished`: headers and body as they
//    came over the wire; for mochi's batch, which Chromium reports as
//    canceled once the runtime has read it to its end, the headers' and
//    `dataReceived` chunks' sizes);
// 7. prints per page the medians, then the issue's goals as medians of the
//    per-round ratios (or differences, in round trips) of pages measured in
//    the same round.
//
// To add a variant, add one line to VARIANTS; the goals that name it then
// show.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const ASTRO = join(BENCH, 'astro-peer');

// ---------------------------------------------------------------------------
// What is measured.

/**
 * The servers. `island(url)`: whether a request is one of its island
 * requests (mochi's under any scope, e.g. `/batched/_mochi/batch`).
 */
const SERVERS = {
  mochi: { island: (u) => /\/_mochi\/(island\/|batch)/.test(u.pathname) },
  astro: { island: (u) => u.pathname.startsWith('/_server-islands/') },
};

/**
 * The pages: a name, its server and its path for `n` islands. One line per
 * variant; the goals below refer to them by name and skip any that is absent.
 */
const VARIANTS = [
  { name: 'plain', server: 'mochi', path: (n) => `/plain/${n}` },
  // Every island `.stream()`: its HTML at the end of the page's own response.
  { name: 'streamed', server: 'mochi', path: (n) => `/streamed/${n}` },
  // mochi's defaults: one batch request for the eager islands, preloaded by one `Link`.
  { name: 'batched', server: 'mochi', path: (n) => `/batched/${n}` },
  { name: 'batched-no-preload', server: 'mochi', path: (n) => `/batched-nopreload/${n}` },
  // `batch_islands(false)`: one request per island, preloaded (at most 16) or not.
  { name: 'unbatched', server: 'mochi', path: (n) => `/deferred/${n}` },
  { name: 'unbatched-no-preload', server: 'mochi', path: (n) => `/nopreload/${n}` },
  // Experiments, not mochi features: the runtime preloaded ahead of the islands.
  { name: 'batched-runtime-first', server: 'mochi', path: (n) => `/batched-runtimefirst/${n}` },
  { name: 'unbatched-runtime-first', server: 'mochi', path: (n) => `/runtimefirst/${n}` },
  { name: 'astro', server: 'astro', path: (n) => `/deferred/${n}` },
];

/**
 * The issue's goals. `ratio`: median of a/b per round, at most `max`.
 * `rtt`: median of (a − b) per round in round trips (latency), at most
 * `atMost` or at least `atLeast`, give or take a fifth of a round trip.
 * "Preload" is mochi's default, batched; the unbatched rows are context.
 */
const GOALS = [
  { what: 'streamed / plain', kind: 'ratio', a: 'streamed', b: 'plain', max: 1.2 },
  { what: 'batched − plain', kind: 'rtt', a: 'batched', b: 'plain', atMost: 1 },
  { what: 'batched / astro', kind: 'ratio', a: 'batched', b: 'astro', max: 1.0 },
  { what: 'batched-no-preload − batched', kind: 'rtt', a: 'batched-no-preload', b: 'batched', atLeast: 1 },
  // Context, no goal of their own.
  { what: 'streamed − plain', kind: 'rtt', a: 'streamed', b: 'plain', atMost: 0 },
  { what: 'astro − plain', kind: 'rtt', a: 'astro', b: 'plain' },
  { what: 'unbatched − batched', kind: 'rtt', a: 'unbatched', b: 'batched' },
  { what: 'unbatched / astro', kind: 'ratio', a: 'unbatched', b: 'astro' },
  { what: 'unbatched-no-preload − unbatched', kind: 'rtt', a: 'unbatched-no-preload', b: 'unbatched' },
  { what: 'batched-runtime-first / batched', kind: 'ratio', a: 'batched-runtime-first', b: 'batched' },
  { what: 'unbatched-runtime-first / unbatched', kind: 'ratio', a: 'unbatched-runtime-first', b: 'unbatched' },
];
/**
 * The network profiles (DevTools only): `latency` is --latency alone; the
 * others add bandwidth (bytes per second each way), the issue's slow links.
 */
const PROFILES = {
  latency: (o) => ({ latency: o.latency, down: -1, up: -1 }),
  '1.6mbit': () => ({ latency: 100, down: 1.6e6 / 8, up: 750e3 / 8 }),
  '400kbit': () => ({ latency: 300, down: 400e3 / 8, up: 400e3 / 8 }),
};

/** Slack of the round-trip goals: a fifth of a round trip. */
const RTT_SLACK = 0.2;

// ---------------------------------------------------------------------------
// Options.

function usage() {
  console.log(`usage: node bench/latency.mjs [options]
  --runs N          timed rounds (default 5)
  --latency MS      round-trip latency (default 100)
  --net LIST        how latency is added: devtools (default), proxy, or devtools,proxy
                    (both, one after the other; see above)
  --profiles LIST   network profiles, one after the other (default latency):
                    ${Object.keys(PROFILES).join(', ')} (bandwidth: devtools only)
  --islands LIST    island counts of the pages (default 3,20)
  --only LIST       variants to run (default all: ${VARIANTS.map((v) => v.name).join(',')})
  --timeout MS      longest wait for a page's islands (default 15000)
  --no-build        use the binaries already built
  --json FILE       also write every run's figures to FILE`);
}

function parseArgs(argv) {
  const o = { runs: 5, latency: 100, nets: ['devtools'], profiles: ['latency'], islands: [3, 20], only: null, timeout: 15000, build: true, json: null };
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} needs a number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') o.runs = Math.max(1, Math.floor(num(a, next())));
    else if (a === '--latency') o.latency = num(a, next());
    else if (a === '--net') {
      o.nets = next().split(',');
      const bad = o.nets.filter((n) => !['devtools', 'proxy'].includes(n));
      if (bad.length || !o.nets.length) throw new Error(`--net takes devtools and/or proxy, got ${bad.join(',')}`);
    } else if (a === '--profiles') {
      o.profiles = next().split(',');
      const bad = o.profiles.filter((p) => !(p in PROFILES));
      if (bad.length || !o.profiles.length) throw new Error(`--profiles takes ${Object.keys(PROFILES).join(', ')}, got ${bad.join(',')}`);
    } else if (a === '--islands') o.islands = next().split(',').map((s) => Math.floor(num(a, s)));
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--timeout') o.timeout = num(a, next());
    else if (a === '--no-build') o.build = false;
    else if (a === '--json') o.json = next();
    else if (a === '--help' || a === '-h') {
      usage();
      process.exit(0);
    } else throw new Error(`unknown option ${a} (--help lists them)`);
  }
  if (o.only) {
    const unknown = o.only.filter((n) => !VARIANTS.some((v) => v.name === n));
    if (unknown.length) throw new Error(`no variant ${unknown.join(', ')}; there are ${VARIANTS.map((v) => v.name).join(', ')}`);
  }
  return o;
}

// ---------------------------------------------------------------------------
// Building and serving.

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

function run(cmd, args, cwd) {
  log(`$ ${cmd} ${args.join(' ')}   (in ${cwd})`);
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error ?? `exit ${r.status}`})`);
}

function npmInstalled(dir) {
  if (!existsSync(join(dir, 'node_modules'))) run('npm', ['ci', '--no-audit', '--no-fund'], dir);
}

function targetDir() {
  return process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
}

function build(o) {
  const binary = join(targetDir(), 'release', 'example-bench-latency');
  const astroEntry = join(ASTRO, 'dist', 'server', 'entry.mjs');
  if (o.build) {
    run('nice', ['-n', '10', 'cargo', 'build', '--release', '-p', 'example-bench-latency', '-j', '1'], ROOT);
    npmInstalled(ASTRO);
    run('nice', ['-n', '10', 'npx', 'astro', 'build', '--silent'], ASTRO);
  }
  for (const f of [binary, astroEntry]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run without --no-build`);
  }
  return { binary, astroEntry };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A server process on a free port; `stop()` ends it (and only it). */
async function startServer(name, cmd, args, cwd, env, probe) {
  const port = await freePort();
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(base + probe);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`${name} did not answer ${probe} on ${base}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`${name} on ${base} (pid ${child.pid})`);
  return {
    base,
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/**
 * `--net proxy`: `bench/delay-proxy.mjs` in front of `port`, in a process of
 * its own, so that this one's work (DevTools events) never holds a chunk back.
 */
async function delayProxy(port, rtt) {
  const child = spawn(process.execPath, [join(BENCH, 'delay-proxy.mjs'), String(port), String(rtt)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`delay proxy exited (${code})`)));
  });
  return {
    base,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

// ---------------------------------------------------------------------------
// Measuring one page.

/**
 * Injected before the document's first byte: notes when the page first
 * holds all its islands' final HTML. MutationObserver callbacks run right
 * after each DOM change (a parsed chunk, a swap), so the time is the
 * change's, not the next frame's.
 */
const PROBE = `(() => {
  const done = () => {
    const meta = document.querySelector('meta[name="bench-islands"]');
    if (!meta) return false;
    return document.querySelectorAll('[data-done]').length >= Number(meta.content)
      && !document.querySelector('.fallback');
  };
  const check = () => {
    if (window.__islandsAt === undefined && done()) {
      window.__islandsAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, characterData: true });
})();`;

async function measure(browser, o, server, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(PROBE);
    const cdp = await context.newCDPSession(page);
    const requests = new Map(); // requestId → { url, start, bytes, done, type, initiator }
    let t0;
    cdp.on('Network.requestWillBeSent', (e) => {
      if (requests.has(e.requestId)) return; // a redirect: same request
      // The browser's own favicon request is no part of the page.
      if (new URL(e.request.url).pathname === '/favicon.ico') return;
      if (t0 === undefined) t0 = e.timestamp;
      requests.set(e.requestId, { url: e.request.url, start: e.timestamp, type: e.type, bytes: 0, received: 0, done: false, initiator: e.initiator?.type });
    });
    const finish = (e, failed) => {
      const r = requests.get(e.requestId);
      if (!r) return;
      r.done = true;
      r.end = e.timestamp;
      // Chromium reports a fetch whose chunked body a script read to its
      // end with a reader (mochi's batch) as canceled, ERR_ABORTED, though
      // every byte came and the connection is kept: the bytes seen so far
      // are then its bytes. (A fetch aborted after its headers looks the
      // same; a page whose islands are all in place has lost none.)
      const readToEnd = failed && e.canceled && e.errorText === 'net::ERR_ABORTED' && r.headersAt !== undefined;
      r.failed = failed && !readToEnd;
      if (r.failed) r.error = `${e.errorText}${e.canceled ? ' (canceled)' : ''}`;
      r.bytes = failed ? r.received : e.encodedDataLength;
    };
    cdp.on('Network.responseReceived', (e) => {
      const r = requests.get(e.requestId);
      if (r) {
        r.headersAt = e.timestamp;
        r.connection = e.response.connectionId;
        r.received = e.response.encodedDataLength ?? 0; // the headers
      }
    });
    cdp.on('Network.dataReceived', (e) => {
      const r = requests.get(e.requestId);
      if (r) r.received += e.encodedDataLength;
    });
    cdp.on('Network.loadingFinished', (e) => finish(e, false));
    cdp.on('Network.loadingFailed', (e) => finish(e, true));
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (o.net === 'devtools') {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: o.latency,
        downloadThroughput: o.down,
        uploadThroughput: o.up,
      });
    }

    await page.goto(url, { waitUntil: 'commit', timeout: o.timeout });
    await page.waitForFunction(() => window.__islandsAt !== undefined, null, { timeout: o.timeout, polling: 'raf' });
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        islands: window.__islandsAt,
        dcl: nav.domContentLoadedEventStart,
        count: document.querySelectorAll('[data-done]').length,
      };
    });
    // Let every request of the page finish, for its bytes.
    const quiet = Date.now() + 3000;
    while ([...requests.values()].some((r) => !r.done) && Date.now() < quiet) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const all = [...requests.values()];
    const isIsland = (r) => SERVERS[server].island(new URL(r.url));
    const islands = all.filter(isIsland);
    const ms = (t) => (t - t0) * 1000;
    return {
      ms: timing.islands,
      // The document's response headers, from its request (CDP: the
      // Navigation Timing `responseStart` comes before DevTools' delay).
      ttfb: all[0]?.headersAt === undefined ? null : ms(all[0].headersAt),
      dcl: timing.dcl,
      islandCount: timing.count,
      requests: all.length,
      connections: new Set(all.map((r) => r.connection).filter((c) => c)).size,
      islandRequests: islands.length,
      distinctIslandUrls: new Set(islands.map((r) => r.url)).size,
      firstIslandStart: islands.length ? Math.min(...islands.map((r) => ms(r.start))) : null,
      // The (last) external script's arrival: mochi's runtime; Astro's scripts are inline.
      runtimeDone: (() => {
        const s = all.filter((r) => r.type === 'Script' && r.end !== undefined);
        return s.length ? Math.max(...s.map((r) => ms(r.end))) : null;
      })(),
      lastIslandDone: (() => {
        const s = islands.filter((r) => r.end !== undefined);
        return s.length ? Math.max(...s.map((r) => ms(r.end))) : null;
      })(),
      bytes: all.reduce((s, r) => s + r.bytes, 0),
      // JavaScript: the runtime's modules and any other script the page loads.
      jsBytes: all.filter((r) => new URL(r.url).pathname.endsWith('.js')).reduce((s, r) => s + r.bytes, 0),
      islandBytes: islands.reduce((s, r) => s + r.bytes, 0),
      failed: all.filter((r) => r.failed).map((r) => `${new URL(r.url).pathname} ${r.error}`),
      initiators: [...new Set(islands.map((r) => `${r.type}/${r.initiator}`))],
    };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------
// Statistics and the report.

function median(xs) {
  const s = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x, d = 0) => (x === null || x === undefined ? '–' : x.toFixed(d));

function pad(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '))
    .join('\n');
}

function report(o, pages, results) {
  const lines = [];
  const how = o.net === 'proxy' ? 'a delaying TCP proxy' : 'DevTools';
  const link = o.down > 0 ? `, ${(o.down * 8) / 1000} kbit/s down, ${(o.up * 8) / 1000} kbit/s up` : '';
  lines.push(`\ntime to islands (${o.profile}): headless Chromium, ${o.latency} ms round trip${link} (${how}), cache disabled, ${o.runs} rounds, medians\n`);
  const rows = [['page', 'islands ms', '(min–max)', 'doc headers ms', '1st island req ms', 'script ms', 'last island ms', 'requests', 'island req', 'connections', 'bytes', 'island bytes', 'js bytes']];
  for (const p of pages) {
    const rs = results.filter((r) => r.key === p.key).map((r) => r.m);
    const ms = rs.map((r) => r.ms);
    rows.push([
      p.key,
      fmt(median(ms)),
      `${fmt(Math.min(...ms))}–${fmt(Math.max(...ms))}`,
      fmt(median(rs.map((r) => r.ttfb))),
      fmt(median(rs.map((r) => r.firstIslandStart))),
      fmt(median(rs.map((r) => r.runtimeDone))),
      fmt(median(rs.map((r) => r.lastIslandDone))),
      fmt(median(rs.map((r) => r.requests))),
      fmt(median(rs.map((r) => r.islandRequests))),
      fmt(median(rs.map((r) => r.connections))),
      fmt(median(rs.map((r) => r.bytes))),
      fmt(median(rs.map((r) => r.islandBytes))),
      fmt(median(rs.map((r) => r.jsBytes))),
    ]);
  }
  lines.push(pad(rows));

  lines.push(`\ngoals: medians of per-round ratios / differences (1 RTT = ${o.latency} ms)\n`);
  const grows = [['goal', ...o.islands.map((n) => `${n} islands`), 'goal']];
  for (const g of GOALS) {
    const cells = o.islands.map((n) => {
      const per = [];
      for (let round = 0; round < o.runs; round++) {
        const a = results.find((r) => r.round === round && r.variant === g.a && r.n === n);
        const b = results.find((r) => r.round === round && r.variant === g.b && r.n === n);
        if (a && b) per.push(g.kind === 'ratio' ? a.m.ms / b.m.ms : (a.m.ms - b.m.ms) / o.latency);
      }
      const m = median(per);
      if (m === null) return 'n/a';
      if (g.kind === 'ratio') return `${m.toFixed(2)}x${g.max !== undefined ? (m <= g.max ? ' met' : ' MISSED') : ''}`;
      const text = `${m >= 0 ? '+' : ''}${m.toFixed(2)} RTT`;
      if (g.atMost !== undefined) return `${text}${m <= g.atMost + RTT_SLACK ? ' met' : ' MISSED'}`;
      if (g.atLeast !== undefined) return `${text}${m >= g.atLeast - RTT_SLACK ? ' met' : ' MISSED'}`;
      return text;
    });
    const goal =
      g.max !== undefined ? `≤ ${g.max}x` : g.atMost !== undefined ? `≤ ${g.atMost} RTT` : g.atLeast !== undefined ? `≥ ${g.atLeast} RTT` : '';
    grows.push([g.what, ...cells, goal]);
  }
  lines.push(pad(grows));
  lines.push('\n(n/a: a variant of the goal was not run or does not exist yet)');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

/** `measure`, once more if it fails (a visit can time out on a busy machine). */
async function measureChecked(browser, o, p) {
  for (let attempt = 1; ; attempt++) {
    try {
      const m = await measure(browser, o, p.server, p.url);
      if (m.islandCount !== p.n) throw new Error(`${m.islandCount} final islands, not ${p.n}`);
      if (m.failed.length) log(`warning: ${p.key}: failed: ${m.failed.join(', ')}`);
      return m;
    } catch (e) {
      if (attempt >= 2) throw new Error(`${p.key}: ${e.message ?? e}`);
      log(`${p.key}: ${e.message ?? e}; once more`);
    }
  }
}

/** Warm-up, then `o.runs` rounds over every page, in rotated order. */
async function runAll(browser, o, variants, bases) {
  const pages = [];
  for (const n of o.islands) {
    for (const v of variants) pages.push({ key: `${v.name} ${n}`, variant: v.name, n, url: bases[v.server] + v.path(n), server: v.server });
  }
  log(`${o.net} ${o.profile}: warm-up, ${pages.length} pages`);
  for (const p of pages) {
    const m = await measureChecked(browser, o, p);
    log(`  ${p.key}: ${m.ms.toFixed(0)} ms, ${m.islandRequests} island requests (${m.distinctIslandUrls} distinct), initiators ${m.initiators.join(' ') || '–'}`);
  }
  const results = [];
  for (let round = 0; round < o.runs; round++) {
    const shift = round % pages.length;
    const order = [...pages.slice(shift), ...pages.slice(0, shift)];
    const line = [];
    for (const p of order) {
      const m = await measureChecked(browser, o, p);
      results.push({ round, key: p.key, variant: p.variant, n: p.n, m });
      line.push(`${p.key} ${m.ms.toFixed(0)}`);
    }
    log(`${o.net} ${o.profile} round ${round + 1}/${o.runs}: ${line.join(', ')}`);
  }
  return { pages, results };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  npmInstalled(BENCH);
  const { binary, astroEntry } = build(o);
  const variants = VARIANTS.filter((v) => !o.only || o.only.includes(v.name));
  const needed = new Set(variants.map((v) => v.server));
  const require = createRequire(join(BENCH, 'package.json'));
  const { chromium } = require('playwright-core');

  const servers = {};
  const proxies = [];
  let browser;
  const stopAll = async () => {
    await browser?.close().catch(() => {});
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  };
  process.once('SIGINT', () => stopAll().then(() => process.exit(130)));
  try {
    if (needed.has('mochi')) {
      const key = randomBytes(32).toString('base64url');
      servers.mochi = await startServer('mochi', binary, [], ROOT, { WORKERS: '1', MOCHI_KEY: key, RUST_LOG: 'warn' }, '/plain/3');
    }
    if (needed.has('astro')) {
      servers.astro = await startServer('astro', process.execPath, [astroEntry], ASTRO, { HOST: '127.0.0.1' }, '/deferred/3');
    }
    browser = await chromium.launch({
      executablePath: process.env.CHROME_BIN ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    log(`chromium ${browser.version()}`);

    const everything = [];
    for (const net of o.nets) {
      for (const profile of o.profiles) {
        const link = PROFILES[profile](o);
        if (net === 'proxy' && link.down > 0) {
          log(`skipping ${profile} through the proxy: bandwidth is DevTools' only`);
          continue;
        }
        const on = { ...o, net, profile, ...link };
        // What the browser is pointed at: the server, or its delaying proxy.
        const bases = {};
        for (const [name, server] of Object.entries(servers)) {
          if (net === 'proxy') {
            const proxy = await delayProxy(server.port, on.latency);
            proxies.push(proxy);
            bases[name] = proxy.base;
            log(`${name} through a ${on.latency} ms round-trip proxy on ${proxy.base}`);
          } else {
            bases[name] = server.base;
          }
        }
        const results = await runAll(browser, on, variants, bases);
        console.log(report(on, results.pages, results.results));
        everything.push({ net, profile, link, results: results.results });
      }
    }
    if (o.json) {
      await writeFile(o.json, JSON.stringify({ options: o, chromium: browser.version(), runs: everything }, null, 2));
      log(`wrote ${o.json}`);
    }
  } finally {
    await stopAll();
  }
}

main().catch((e) => {
  console.error(`error: ${e.message ?? e}`);
  process.exit(1);
});
