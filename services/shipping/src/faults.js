'use strict';
// In-service faults: kept by the service with their own expiry, so they end
// on time even when whoever asked for them is gone (as in the Rust kit's
// services/kit/src/faults.rs).
//
// - add/remove/clear/list: the admin API's view.
// - beforeRequest(route, span): the request hook (latency, then maybe an error).
// - storage(span): the hook around the (simulated) storage work.
// - CPU burn runs in worker threads and memory growth on a timer; both stop
//   with the fault.

const { Worker } = require('node:worker_threads');
const faultspec = require('./faultspec');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Busy `percent` of each 10 ms slice until `untilMs` (Date.now()) or a message.
const BURN = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.on('message', () => { stop = true; });
const busy = 10 * workerData.percent / 100;
let x = 0x9e3779b9;
function slice() {
  if (stop || Date.now() >= workerData.untilMs) { process.exit(0); }
  const start = performance.now();
  while (performance.now() - start < busy) { x = (Math.imul(x, 0x2545f491) + 7) | 0; }
  setTimeout(slice, Math.max(0, 10 - (performance.now() - start)));
}
slice();
`;

class Faults {
  constructor(service, metrics) {
    this.service = service;
    this.metrics = metrics;
    this.active = [];
    this.nextId = 1;
    this.publish();
  }

  add(spec, durationMs) {
    const fault = {
      id: `${this.service}-${this.nextId++}`,
      spec,
      durationMs,
      startedAt: Date.now() / 1000,
      expires: performance.now() + durationMs,
      stoppers: [],
    };
    this.active.push(fault);
    if (spec.kind === 'cpu_burn') {
      for (let i = 0; i < spec.threads; i++) {
        const w = new Worker(BURN, { eval: true, workerData: { percent: spec.percent, untilMs: Date.now() + durationMs } });
        w.unref();
        fault.stoppers.push(() => w.postMessage('stop'));
      }
    } else if (spec.kind === 'memory_growth') {
      fault.stoppers.push(growMemory(spec.mb_per_sec, spec.max_mb));
    }
    setTimeout(() => this.remove(fault.id), durationMs).unref();
    this.publish();
    return this.view(fault, performance.now());
  }

  remove(id) {
    const removed = this.active.filter((a) => a.id === id);
    this.active = this.active.filter((a) => a.id !== id);
    removed.forEach(stopAll);
    this.publish();
    return removed.length > 0;
  }

  clear() {
    const removed = this.active;
    this.active = [];
    removed.forEach(stopAll);
    this.publish();
  }

  list() {
    const now = performance.now();
    return this.live(now).map((a) => this.view(a, now));
  }

  // Waits out latency faults; resolves to a status when an error_rate fault hits.
  async beforeRequest(route, span) {
    let delay = 0;
    let status = null;
    for (const a of this.live(performance.now())) {
      const s = a.spec;
      if (s.kind === 'latency' && faultspec.matches(s.route, route)) {
        const jitter = s.jitter_ms > 0 ? Math.floor(Math.random() * (s.jitter_ms + 1)) : 0;
        delay += s.latency_ms + jitter;
        this.injected(a.id, 'latency', span);
      } else if (s.kind === 'error_rate' && faultspec.matches(s.route, route) && status === null && Math.random() < s.rate) {
        status = s.status;
        this.injected(a.id, 'error_rate', span);
      }
    }
    if (delay > 0) await sleep(delay);
    return status;
  }

  async storage(span) {
    let delay = 0;
    for (const a of this.live(performance.now())) {
      if (a.spec.kind === 'slow_storage') {
        delay += a.spec.latency_ms;
        this.injected(a.id, 'slow_storage', span);
      }
    }
    if (delay > 0) await sleep(delay);
  }

  live(now) {
    return this.active.filter((a) => a.expires > now);
  }

  injected(id, kind, span) {
    this.metrics.chaosInjections.inc({ target: this.service, kind });
    if (span) {
      span.addEvent('chaos.fault', { 'fault.kind': kind, 'fault.id': id, 'fault.target': this.service });
    }
  }

  publish() {
    for (const kind of faultspec.KIND_NAMES) {
      const n = this.active.filter((a) => a.spec.kind === kind).length;
      this.metrics.chaosFaultsActive.set({ target: this.service, kind }, n);
    }
  }

  view(a, now) {
    return {
      id: a.id,
      target: this.service,
      ...a.spec,
      duration_ms: a.durationMs,
      remaining_ms: Math.max(0, Math.floor(a.expires - now)),
      started_at: a.startedAt,
    };
  }
}

function stopAll(fault) {
  fault.stoppers.forEach((stop) => stop());
}

// Allocates and touches `mbPerSec` MiB a second up to `maxMb`; frees it all when stopped.
function growMemory(mbPerSec, maxMb) {
  const held = [];
  const perStep = Math.max(Math.floor((mbPerSec * 1024 * 1024) / 10), 4096);
  const cap = maxMb * 1024 * 1024;
  let total = 0;
  const timer = setInterval(() => {
    if (total < cap) {
      const n = Math.min(perStep, cap - total);
      held.push(Buffer.alloc(n, 1));
      total += n;
    }
  }, 100);
  timer.unref();
  return () => {
    clearInterval(timer);
    held.length = 0;
  };
}

module.exports = { Faults };
