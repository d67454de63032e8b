#!/usr/bin/env node
// A TCP proxy that adds a round trip, for `node bench/latency.mjs --net
// proxy` (which starts it): `node bench/delay-proxy.mjs PORT RTT_MS` forwards
// a free loopback port to 127.0.0.1:PORT and prints `listening on
// http://127.0.0.1:N`.
//
// Every chunk goes on RTT/2 after it came, in both directions, in order; a
// new connection's first bytes wait one more RTT (the TCP handshake the
// browser's request would wait for on a network). So a request on a new
// connection costs two round trips plus the server's time, one on a
// kept-alive connection one round trip plus the server's time, and streamed
// chunks arrive as they were written, each half a round trip later. Unlike
// DevTools' latency, which holds a response until `latency` after its request
// was sent and so hides up to `latency` of server time, this adds the round
// trip to it. Loopback only; it ends on SIGTERM or when its standard input
// closes (the harness that started it is gone).

import { connect, createServer } from 'node:net';

function delayProxy(port, rtt) {
  const oneWay = rtt / 2;
  /** Sends what `from` reads to `to`, each chunk `oneWay` later, none before `notBefore`. */
  const pipe = (from, to, notBefore) => {
    const queue = [];
    let timer = null;
    const drain = () => {
      timer = null;
      while (queue.length && queue[0].at <= performance.now()) {
        const { chunk } = queue.shift();
        if (chunk === null) to.end();
        else if (!to.destroyed) to.write(chunk);
      }
      if (queue.length) timer = setTimeout(drain, queue[0].at - performance.now());
    };
    const push = (chunk) => {
      queue.push({ at: Math.max(performance.now() + oneWay, notBefore), chunk });
      if (!timer) timer = setTimeout(drain, queue[0].at - performance.now());
    };
    from.on('data', push);
    from.on('end', () => push(null));
  };
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => setTimeout(() => client.destroy(), oneWay + 1));
    // The handshake: the request leaves after one round trip, arrives half a one later.
    pipe(client, upstream, performance.now() + rtt + oneWay);
    pipe(upstream, client, 0);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
  });
}

const [port, rtt] = process.argv.slice(2).map(Number);
if (!Number.isInteger(port) || !Number.isFinite(rtt) || rtt < 0) {
  console.error('usage: node bench/delay-proxy.mjs PORT RTT_MS');
  process.exit(2);
}
delayProxy(port, rtt);
process.on('SIGTERM', () => process.exit(0));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

