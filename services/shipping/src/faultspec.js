'use strict';
// Parsing a POST /admin/faults body exactly as the Rust services do.
//
// The kinds, their fields and rules come from services/fault-kinds.json. The
// Rust services parse the same body with serde (services/kit/src/faults/spec.rs);
// this module reproduces serde's order of checks and its messages, so a client
// gets the same answer from every service of the lab:
//
// 1. the body must be JSON (`malformed JSON: ...`) and an object;
// 2. `duration_ms` (optional) must be a whole number from 1 to the maximum;
// 3. `kind` must be there and name a kind;
// 4. the other fields, in sorted key order (serde_json's map order): an unknown
//    field or a value of the wrong type stops at the first one;
// 5. fields without a default must be there (first missing in declared order);
// 6. the kind's rules, in order;
// 7. a kind for consumers of events only is refused (this service consumes none).
//
// Numbers are read losslessly (lossless-json), since `1.0` is a float to
// serde and a large integer must not be rounded. Messages get the field name
// prefixed the way the Rust side finds it: the first field (sorted) whose
// value is the one quoted in backticks.

const fs = require('node:fs');
const path = require('node:path');
const { parse: parseLossless, isLosslessNumber } = require('lossless-json');

const CATALOGUE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fault-kinds.json'), 'utf8'));
const KINDS = new Map(CATALOGUE.kinds.map((k) => [k.kind, k]));
const KIND_NAMES = CATALOGUE.kinds.map((k) => k.kind);
const DEFAULT_DURATION_MS = CATALOGUE.default_duration_ms;
const MAX_DURATION_MS = CATALOGUE.max_duration_ms;
const UNSIGNED_BITS = { u8: 8n, u16: 16n, u32: 32n, u64: 64n, usize: 64n };
const I64_MIN = -(2n ** 63n);
const U64_END = 2n ** 64n;

class SpecError extends Error {}

// A JSON number, as serde_json reads it: an integer (i64/u64) or a float.
function numberOf(lossless) {
  const text = lossless.value;
  if (/^-?\d+$/.test(text)) {
    const big = BigInt(text);
    if (big >= I64_MIN && big < U64_END) return { int: big };
  }
  return { float: Number.parseFloat(text) };
}

// A float as serde_json writes it (the `ryu` crate's layout): positional for
// 1e-5 <= |f| < 1e16 with at least one decimal, else `1.5e+20`, `1e-7`.
function rustFloat(f) {
  const sign = Object.is(f, -0) || f < 0 ? '-' : '';
  const a = Math.abs(f);
  if (a === 0) return `${sign}0.0`;
  const [mant, expText] = a.toExponential().split('e');
  const digits = mant.replace('.', '');
  const kk = Number(expText) + 1;
  const exp = kk - digits.length;
  let text;
  if (exp >= 0 && kk <= 16) text = `${digits}${'0'.repeat(exp)}.0`;
  else if (kk > 0 && kk <= 16) text = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  else if (kk > -5 && kk <= 0) text = `0.${'0'.repeat(-kk)}${digits}`;
  else {
    const e = kk - 1;
    const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    text = `${m}e${e < 0 ? '-' : '+'}${Math.abs(e)}`;
  }
  return sign + text;
}

function rustDebugStr(s) {
  const escaped = s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${escaped}"`;
}

// serde's `Unexpected` display of a JSON value.
function unexpected(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (isLosslessNumber(v)) {
    const n = numberOf(v);
    return n.int !== undefined ? `integer \`${n.int}\`` : `floating point \`${rustFloat(n.float)}\``;
  }
  if (typeof v === 'string') return `string ${rustDebugStr(v)}`;
  if (Array.isArray(v)) return 'sequence';
  return 'map';
}

const expected = (ty) => (ty === 'string' || ty === 'option_string' ? 'a string' : ty);

// The value for a field of Rust type `ty`, or throws serde's message.
function checkType(ty, v) {
  if (ty === 'option_string' && v === null) return null;
  if (ty === 'string' || ty === 'option_string') {
    if (typeof v === 'string') return v;
  } else if (isLosslessNumber(v)) {
    const n = numberOf(v);
    if (ty === 'f64') return n.int !== undefined ? Number(n.int) : n.float;
    if (n.int !== undefined) {
      if (n.int >= 0n && n.int < 2n ** UNSIGNED_BITS[ty]) return Number(n.int);
      throw new SpecError(`invalid value: ${unexpected(v)}, expected ${ty}`);
    }
  }
  throw new SpecError(`invalid type: ${unexpected(v)}, expected ${expected(ty)}`);
}

function oneOf(names) {
  const quoted = names.map((n) => `\`${n}\``);
  return quoted.length === 1 ? `expected ${quoted[0]}` : `expected one of ${quoted.join(', ')}`;
}

// serde_json's compact text of a value (maps with sorted keys).
function compact(v) {
  if (v === null || typeof v === 'boolean') return String(v);
  if (isLosslessNumber(v)) {
    const n = numberOf(v);
    return n.int !== undefined ? String(n.int) : rustFloat(n.float);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(compact).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${compact(v[k])}`).join(',')}}`;
}

function nameTheField(fields, message) {
  const parts = message.split('`');
  if (parts.length < 2) return message;
  const shown = parts[1];
  for (const key of Object.keys(fields).sort()) {
    const val = fields[key];
    if (compact(val) === shown || (typeof val === 'string' && val === shown)) return `${key}: ${message}`;
  }
  return message;
}

function deserialize(obj) {
  const kind = obj.kind;
  if (typeof kind !== 'string') throw new SpecError(`invalid type: ${unexpected(kind)}, expected variant identifier`);
  const def = KINDS.get(kind);
  if (!def) throw new SpecError(`unknown variant \`${kind}\`, ${oneOf(KIND_NAMES)}`);
  const byName = new Map(def.fields.map((f) => [f.name, f]));
  const values = new Map();
  for (const key of Object.keys(obj).sort()) {
    if (key === 'kind') continue;
    const field = byName.get(key);
    if (!field) throw new SpecError(`unknown field \`${key}\`, ${oneOf([...byName.keys()])}`);
    values.set(key, checkType(field.type, obj[key]));
  }
  const spec = { kind };
  for (const field of def.fields) {
    if (values.has(field.name)) spec[field.name] = values.get(field.name);
    else if ('default' in field) spec[field.name] = field.default;
    else throw new SpecError(`missing field \`${field.name}\``);
  }
  return spec;
}

function validate(spec) {
  for (const rule of KINDS.get(spec.kind).rules) {
    const total = rule.fields.reduce((sum, f) => sum + spec[f], 0);
    if (('min' in rule && total < rule.min) || ('max' in rule && total > rule.max)) throw new SpecError(rule.message);
  }
  // This service consumes no events: the consumer kinds are refused.
  const def = KINDS.get(spec.kind);
  if ('consumers_only' in def) throw new SpecError(def.consumers_only);
}

// serde_json refuses numbers beyond f64, as a syntax error.
function checkRange(v) {
  if (isLosslessNumber(v)) {
    if (!Number.isFinite(Number.parseFloat(v.value))) throw new Error('number out of range');
  } else if (v !== null && typeof v === 'object') {
    Object.values(v).forEach(checkRange);
  }
  return v;
}

function parseJson(body) {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  return checkRange(parseLossless(text, null, { onDuplicateKey: ({ newValue }) => newValue }));
}

// { spec, durationMs } from a request body (a Buffer), or throws SpecError.
function parse(body) {
  let value;
  try {
    value = parseJson(body);
  } catch (e) {
    throw new SpecError(`malformed JSON: ${e.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isLosslessNumber(value)) {
    throw new SpecError('expected a JSON object');
  }
  let durationMs = DEFAULT_DURATION_MS;
  if (Object.hasOwn(value, 'duration_ms')) {
    const ms = value.duration_ms;
    delete value.duration_ms;
    const n = isLosslessNumber(ms) ? numberOf(ms) : {};
    if (n.int === undefined || n.int <= 0n || n.int > BigInt(MAX_DURATION_MS)) {
      throw new SpecError(`duration_ms must be a whole number from 1 to ${MAX_DURATION_MS}`);
    }
    durationMs = Number(n.int);
  }
  if (!Object.hasOwn(value, 'kind')) {
    throw new SpecError(`missing field \`kind\` (one of ${KIND_NAMES.join(', ')})`);
  }
  let spec;
  try {
    spec = deserialize(value);
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(nameTheField(value, e.message));
    throw e;
  }
  validate(spec);
  return { spec, durationMs };
}

// Whether a fault limited to `route` (a prefix of the template) applies.
const matches = (route, actual) => route === null || actual.startsWith(route);

module.exports = { parse, matches, SpecError, KIND_NAMES };
