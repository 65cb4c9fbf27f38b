'use strict';
// Traces, set up in one place: the official OpenTelemetry JS SDK
// (@opentelemetry/sdk-node) with the http and express instrumentations, an
// OTLP exporter (gRPC by default, like the Rust services; HTTP/protobuf with
// `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`) and W3C trace context.
//
// Load it before express or http (the instrumentations patch them on load).
// The exporters read the standard variables themselves
// (`OTEL_EXPORTER_OTLP_{,TRACES_}ENDPOINT`, `..._HEADERS`, `..._TIMEOUT`);
// `OTEL_SERVICE_NAME` wins over the `--service-name` flag;
// `OTEL_SDK_DISABLED=true` or `CHAOSLAB_TELEMETRY=off` turns spans off.
// Spans leave in batches every 200 ms (`OTEL_BSP_SCHEDULE_DELAY` overrides),
// so a live lab sees them within a second; `shutdown()` flushes them, bounded
// so the process still stops in time when the receiver is gone.

// The stable HTTP semantic conventions (http.request.method, http.route,
// http.response.status_code), as the Rust services emit; read when the
// instrumentation is created.
process.env.OTEL_SEMCONV_STABILITY_OPT_IN ??= 'http';
// Traces only, like the Rust services (the SDK would set up metrics and logs
// exporters from the environment otherwise).
process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';

const { NodeSDK, tracing, resources, core } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');

// Requests that are not the service's business get no span (as on the Rust side).
const UNTRACED = /^\/(health\/|metrics$|admin(\/|$))/;
// The server span of each request, for fault events (express adds inner spans).
const SERVER_SPAN = Symbol('chaoslab.serverSpan');

const truthy = (v, word) => (v ?? '').trim().toLowerCase() === word;

function enabled() {
  return !(truthy(process.env.OTEL_SDK_DISABLED, 'true') || truthy(process.env.CHAOSLAB_TELEMETRY, 'off'));
}

function serviceName(flag) {
  return process.env.OTEL_SERVICE_NAME || flag;
}

function exporter() {
  const protocol = (
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ||
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL ||
    'grpc'
  )
    .trim()
    .toLowerCase();
  if (protocol === 'grpc') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
    return new OTLPTraceExporter();
  }
  if (protocol === 'http/protobuf' || protocol === 'http') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter();
  }
  throw new Error(`unknown OTLP protocol ${JSON.stringify(protocol)}: expected grpc or http/protobuf`);
}

let sdk = null;

function init(name) {
  if (!enabled()) return;
  const delay = process.env.OTEL_BSP_SCHEDULE_DELAY ? undefined : 200;
  sdk = new NodeSDK({
    // The SDK's own attributes (telemetry.sdk.*) are in the default resource only.
    resource: process.env.OTEL_SERVICE_NAME
      ? resources.defaultResource()
      : resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.name': name })),
    spanProcessors: [new tracing.BatchSpanProcessor(exporter(), { scheduledDelayMillis: delay })],
    textMapPropagator: process.env.OTEL_PROPAGATORS ? undefined : new core.W3CTraceContextPropagator(),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED.test((req.url || '').split('?')[0]),
        requestHook: (span, req) => {
          req[SERVER_SPAN] = span;
        },
      }),
      new ExpressInstrumentation({ ignoreLayersType: ['middleware'] }),
    ],
  });
  sdk.start();
}

// Flushes and stops the exporter, waiting at most `timeoutMs`.
async function shutdown(timeoutMs) {
  if (!sdk) return;
  await Promise.race([sdk.shutdown().catch(() => {}), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}

// The request's server span, if it has one.
const serverSpan = (req) => req[SERVER_SPAN] ?? null;

module.exports = { init, shutdown, serviceName, enabled, serverSpan };
