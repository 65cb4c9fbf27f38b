'use strict';
// The Express application: business routes (observed: semconv metrics and
// the request faults), `/admin/...` and the operational routes.
//
// | route | answers |
// |---|---|
// | `POST /quotes` | `{items, destination, service?}` → price and delivery estimate |
// | `POST /shipments` | `{order_id, items, destination, service?}` → 201 the new shipment, 200 the order's existing one |
// | `GET /shipments/{id}` | one shipment |
// | `GET /shipments?order_id=ID` | the order's shipment |
// | `GET /health/live`, `GET /health/ready` | `live`, `ready` (503 `not ready` while stopping) |
// | `GET /metrics` | Prometheus text |
// | `/admin/...` | see admin.js |

const express = require('express');
const { adminRouter } = require('./admin');
const { Faults } = require('./faults');
const { createMetrics, CONTENT_TYPE } = require('./metrics');
const { BadRequest, readOrder, quote, Shipments } = require('./shipping');
const telemetry = require('./telemetry');

function jsonError(res, status, error, reason) {
  return res.status(status).json({ error, reason });
}

// Express writes `/x/:id`; the lab's routes read `/x/{id}`.
const routeTemplate = (path) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function createApp({ service, adminToken }) {
  const app = express();
  app.set('x-powered-by', false);
  app.set('etag', false);
  const metrics = createMetrics(service);
  const faults = new Faults(service, metrics);
  const shipments = new Shipments();
  const state = { ready: false };
  const json = express.json({ limit: '64kb' });

  // Measures the request and applies the request faults, like the Rust
  // services' observe layer; `route` is the template the route was added with.
  const observe = (route) => async (req, res, next) => {
    const started = performance.now();
    const method = req.method;
    metrics.httpServerActive.inc({ http_request_method: method });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      metrics.httpServerActive.dec({ http_request_method: method });
      const status = res.statusCode;
      metrics.httpServerDuration.observe(
        { http_request_method: method, http_route: route, http_response_status_code: String(status), error_type: status >= 500 ? String(status) : '' },
        (performance.now() - started) / 1000,
      );
    };
    res.on('finish', finish);
    res.on('close', finish);
    req.span = telemetry.serverSpan(req);
    const status = await faults.beforeRequest(route, req.span);
    if (status !== null) {
      return jsonError(res, status, 'injected fault', `${service} answered ${status} because of an error_rate fault`);
    }
    return next();
  };

  const business = (method, path, ...handlers) => {
    app[method](path, observe(routeTemplate(path)), ...handlers);
  };

  business('post', '/quotes', json, async (req, res) => {
    const order = readOrder(req.body);
    await faults.storage(req.span);
    res.json(quote(order));
  });

  business('post', '/shipments', json, async (req, res) => {
    const order = readOrder(req.body);
    const orderId = req.body.order_id;
    if (typeof orderId !== 'string' || orderId.length === 0 || orderId.length > 64) {
      throw new BadRequest('order_id: expected a string of 1 to 64 characters');
    }
    await faults.storage(req.span);
    const { shipment, created } = shipments.create(orderId, order);
    res.status(created ? 201 : 200).json(shipment);
  });

  business('get', '/shipments/:id', async (req, res) => {
    await faults.storage(req.span);
    const shipment = shipments.get(req.params.id);
    if (!shipment) return jsonError(res, 404, 'not found', `no shipment ${JSON.stringify(req.params.id)}`);
    return res.json(shipment);
  });

  business('get', '/shipments', async (req, res) => {
    const orderId = req.query.order_id;
    if (typeof orderId !== 'string' || orderId.length === 0) {
      throw new BadRequest('order_id: ask for /shipments?order_id=ID');
    }
    await faults.storage(req.span);
    const shipment = shipments.forOrder(orderId);
    if (!shipment) return jsonError(res, 404, 'not found', `no shipment for order ${JSON.stringify(orderId)}`);
    return res.json(shipment);
  });

  app.get('/health/live', (req, res) => res.type('text/plain').send('live\n'));
  app.get('/health/ready', (req, res) =>
    state.ready ? res.type('text/plain').send('ready\n') : res.status(503).type('text/plain').send('not ready\n'),
  );
  app.get('/metrics', async (req, res) => {
    res.set('Content-Type', CONTENT_TYPE).send(await metrics.render());
  });
  app.use('/admin', adminRouter({ service, faults, adminToken, jsonError }));

  app.use((req, res) => jsonError(res, 404, 'not found', `no route ${req.method} ${req.path}`));
  // Express's own errors carry a status (a body that is not JSON: 400).
  app.use((err, req, res, _next) => {
    if (err instanceof BadRequest) return jsonError(res, 400, 'bad request', err.message);
    if (err.type === 'entity.parse.failed') return jsonError(res, 400, 'bad request', `malformed JSON: ${err.message}`);
    if (err.status >= 400 && err.status < 500) return jsonError(res, err.status, 'bad request', err.message);
    console.error(`${service}: ${req.method} ${req.path}:`, err);
    return jsonError(res, 500, 'internal error', 'the request failed; see the service log');
  });

  return { app, state };
}

module.exports = { createApp };
