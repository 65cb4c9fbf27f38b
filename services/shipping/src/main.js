'use strict';
// shipping: quotes and shipments for the shop (Node.js, Express).
//
//     node src/main.js [--host 127.0.0.1] --port PORT [--service-name shipping]
//
// Serves until SIGTERM or Ctrl-C, or until the supervising parent is gone when
// `CHAOSLAB_PARENT_PID` is set; spans are flushed on the way out and the
// process is gone within a second.

const { parseArgs } = require('node:util');

const SHUTDOWN_BUDGET_MS = 700;

function usage(message) {
  console.error(`shipping: ${message}\nusage: node src/main.js [--host 127.0.0.1] --port PORT [--service-name shipping]`);
  process.exit(2);
}

function readArgs() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        'service-name': { type: 'string', default: 'shipping' },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`--port must be from 1 to 65535, got ${values.port}`);
  return { host: values.host, port, flagName: values['service-name'] };
}

function main() {
  const args = readArgs();
  // Telemetry first: the instrumentations patch http and express as they load.
  const telemetry = require('./telemetry');
  const service = telemetry.serviceName(args.flagName);
  try {
    telemetry.init(service);
  } catch (e) {
    console.error(`shipping: ${e.message}`);
    process.exit(2);
  }
  const { createApp } = require('./app');
  const { app, state } = createApp({ service, adminToken: process.env.CHAOSLAB_ADMIN_TOKEN || null });
  const server = app.listen({ host: args.host, port: args.port });
  server.on('error', (e) => {
    console.error(`shipping: cannot listen on ${args.host}:${args.port}: ${e.message}`);
    process.exit(1);
  });
  server.on('listening', () => {
    state.ready = true;
    console.error(`${service} listening on http://${args.host}:${args.port}`);
  });

  let stopping = false;
  const stop = async (reason) => {
    if (stopping) return;
    stopping = true;
    console.error(`${service}: stopping: ${reason}`);
    state.ready = false;
    server.close();
    server.closeIdleConnections();
    await telemetry.shutdown(SHUTDOWN_BUDGET_MS);
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('interrupted'));

  const parent = Number(process.env.CHAOSLAB_PARENT_PID);
  if (process.env.CHAOSLAB_PARENT_PID && Number.isInteger(parent)) {
    setInterval(() => {
      if (process.ppid !== parent) stop('the supervisor is gone');
    }, 500).unref();
  }
}

main();
