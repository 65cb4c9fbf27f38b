'use strict';
// `/admin/...`, as the Rust services serve it (services/kit/src/admin.rs),
// open to loopback callers or to `Authorization: Bearer $CHAOSLAB_ADMIN_TOKEN`.
//
// | route | does |
// |---|---|
// | `GET/POST/DELETE /admin/faults`, `DELETE /admin/faults/{id}` | in-service faults |
// | `GET/PUT /admin/resilience`, `GET/PUT /admin/resilience/{dependency}` | no dependencies here: `[]`, or 404 for a name |

const express = require('express');
const net = require('node:net');
const faultspec = require('./faultspec');

function isLoopback(addr) {
  if (!addr) return false;
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  if (net.isIPv4(v4)) return v4.startsWith('127.');
  return addr === '::1';
}

function adminRouter({ service, faults, adminToken, jsonError }) {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: '64kb' });
  const unknownDependency = (res, name) =>
    jsonError(res, 404, 'unknown dependency', `${service} has no dependency ${JSON.stringify(name)}; it has: `);

  router.use((req, res, next) => {
    if (isLoopback(req.socket.remoteAddress)) return next();
    if (adminToken && req.get('authorization') === `Bearer ${adminToken}`) return next();
    return jsonError(res, 403, 'forbidden', 'the admin API answers loopback callers or a valid bearer token');
  });

  router.get('/faults', (req, res) => res.json(faults.list()));

  router.post('/faults', raw, (req, res) => {
    let parsed;
    try {
      parsed = faultspec.parse(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    } catch (e) {
      if (e instanceof faultspec.SpecError) return jsonError(res, 400, 'bad request', e.message);
      throw e;
    }
    if (parsed.spec.kind === 'pool_shrink') return unknownDependency(res, parsed.spec.dependency);
    return res.status(201).json(faults.add(parsed.spec, parsed.durationMs));
  });

  router.delete('/faults', (req, res) => {
    faults.clear();
    res.status(204).end();
  });

  router.delete('/faults/:id', (req, res) => {
    if (faults.remove(req.params.id)) return res.status(204).end();
    return jsonError(res, 404, 'fault not found', `no active fault ${JSON.stringify(req.params.id)}`);
  });

  router.get('/resilience', (req, res) => res.json([]));

  router.put('/resilience', raw, (req, res) => {
    let patches;
    try {
      patches = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    } catch (e) {
      return jsonError(res, 400, 'bad request', e.message);
    }
    if (patches === null || typeof patches !== 'object' || Array.isArray(patches)) {
      return jsonError(res, 400, 'bad request', 'expected a JSON object of dependency: patch');
    }
    const names = Object.keys(patches).sort();
    if (names.length > 0) return unknownDependency(res, names[0]);
    return res.json([]);
  });

  router.all('/resilience/:dependency', (req, res) => {
    if (req.method !== 'GET' && req.method !== 'PUT') {
      return jsonError(res, 405, 'method not allowed', `${req.path} does not answer ${req.method}`);
    }
    return unknownDependency(res, req.params.dependency);
  });

  return router;
}

module.exports = { adminRouter };
