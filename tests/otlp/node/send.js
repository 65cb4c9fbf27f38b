// A small HTTP service instrumented by hand with the official
// OpenTelemetry JS SDK (traces, metrics and logs over OTLP/HTTP protobuf),
// for chaoslab's tests. It prints "listening PORT", answers every request
// (500 for paths starting with /fail), continues the caller's trace from
// `traceparent`, and flushes everything on SIGTERM.
//
// Environment: OTEL_EXPORTER_OTLP_ENDPOINT (the hub's OTLP/HTTP base URL),
// OTEL_SERVICE_NAME.
'use strict';

const http = require('node:http');
const api = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');

const resource = defaultResource().merge(
  resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'node-sender' }),
);
const tracerProvider = new BasicTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 200 })],
});
const meterProvider = new MeterProvider({
  resource,
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(),
      exportIntervalMillis: 500,
    }),
  ],
});
const loggerProvider = new LoggerProvider({
  resource,
  processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter(), scheduledDelayMillis: 200 })],
});

const tracer = tracerProvider.getTracer('chaoslab-node-sender');
const meter = meterProvider.getMeter('chaoslab-node-sender');
const logger = loggerProvider.getLogger('chaoslab-node-sender');
const propagator = new W3CTraceContextPropagator();
const duration = meter.createHistogram('http.server.request.duration', {
  unit: 's',
  advice: {
    explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  },
});

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const parent = propagator.extract(api.ROOT_CONTEXT, req.headers, api.defaultTextMapGetter);
  const route = req.url.startsWith('/fail') ? '/fail' : '/stock/{sku}';
  const span = tracer.startSpan(
    `${req.method} ${route}`,
    {
      kind: api.SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.url },
    },
    parent,
  );
  const ctx = api.trace.setSpan(parent, span);
  const status = route === '/fail' ? 500 : 200;
  logger.emit({
    severityNumber: status >= 500 ? SeverityNumber.ERROR : SeverityNumber.INFO,
    severityText: status >= 500 ? 'ERROR' : 'INFO',
    body: `node answered ${req.url} with ${status}`,
    context: ctx,
    attributes: { 'http.route': route },
  });
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'asked to fail' });
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: status < 500 }));
  span.end();
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const attrs = { 'http.request.method': req.method, 'http.route': route, 'http.response.status_code': status };
  if (status >= 500) attrs['error.type'] = String(status);
  duration.record(secs, attrs);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

async function stop() {
  server.close();
  await Promise.allSettled([
    tracerProvider.shutdown(),
    meterProvider.shutdown(),
    loggerProvider.shutdown(),
  ]);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
