'use strict';
// The Prometheus metrics, with the names, labels and buckets of the Rust
// services (services/kit/src/names.rs): every series carries `service`.
// prom-client writes bucket bounds as the Rust services do (`1`, `5`, `10`).

const client = require('prom-client');

// The semantic-convention advisory buckets, in seconds.
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const CONTENT_TYPE = 'text/plain; version=0.0.4';

function createMetrics(service) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  const registers = [registry];
  return {
    registry,
    httpServerDuration: new client.Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests.',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code', 'error_type'],
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    }),
    httpServerActive: new client.Gauge({
      name: 'http_server_active_requests',
      help: 'Requests being served right now.',
      labelNames: ['http_request_method'],
      registers,
    }),
    chaosFaultsActive: new client.Gauge({
      name: 'chaos_faults_active',
      help: 'Active in-service faults.',
      labelNames: ['target', 'kind'],
      registers,
    }),
    chaosInjections: new client.Counter({
      name: 'chaos_injections_total',
      help: 'Faults injected into requests.',
      labelNames: ['target', 'kind'],
      registers,
    }),
    render: () => registry.metrics(),
  };
}

module.exports = { createMetrics, CONTENT_TYPE, HTTP_DURATION_BUCKETS };
