'use strict';
// The shipping domain, in memory: quotes (price and delivery estimate for a
// parcel to a destination) and shipments (one per order id, idempotent).
//
// Products are the shop's (services/shop/src/seed.rs, ids 1 to 20), each with
// a shipping weight. The warehouse is in the Netherlands; destinations are
// priced by zone: domestic, EU, Europe outside the EU, rest of the world.

const crypto = require('node:crypto');

// Shipping weight of each of the shop's products, in grams.
const WEIGHT_G = {
  1: 350, 2: 420, 3: 280, 4: 390, 5: 600, 6: 750, 7: 40, 8: 520, 9: 120, 10: 900,
  11: 210, 12: 180, 13: 90, 14: 500, 15: 310, 16: 650, 17: 60, 18: 450, 19: 25, 20: 15,
};
const ORIGIN = 'NL';
const EU = new Set(['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT',
  'LT', 'LU', 'LV', 'MT', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK']);
const EUROPE = new Set(['CH', 'GB', 'IS', 'LI', 'NO', 'RS', 'UA']);
// Per zone: base price and price per started kilogram (cents), days in transit.
const ZONES = {
  domestic: { base: 495, perKg: 100, days: [1, 2] },
  eu: { base: 995, perKg: 250, days: [2, 4] },
  europe: { base: 1495, perKg: 400, days: [3, 6] },
  world: { base: 2495, perKg: 900, days: [5, 12] },
};
const EXPRESS = { factor: 1.8, daysOff: 1 };
const MAX_ITEMS = 50;
const MAX_QUANTITY = 1000;

class BadRequest extends Error {}

function zoneOf(country) {
  if (country === ORIGIN) return 'domestic';
  if (EU.has(country)) return 'eu';
  if (EUROPE.has(country)) return 'europe';
  return 'world';
}

// Checks a quote or shipment body; returns { items, destination, service }.
function readOrder(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest('expected a JSON object with items and destination');
  }
  const { items, destination } = body;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_ITEMS) {
    throw new BadRequest(`items: expected a list of 1 to ${MAX_ITEMS} {product_id, quantity}`);
  }
  const checked = items.map((item, i) => {
    const id = item?.product_id;
    if (!Number.isInteger(id) || !(id in WEIGHT_G)) {
      throw new BadRequest(`items[${i}].product_id: no product ${JSON.stringify(id ?? null)}`);
    }
    const quantity = item.quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      throw new BadRequest(`items[${i}].quantity: expected a whole number from 1 to ${MAX_QUANTITY}`);
    }
    return { product_id: id, quantity };
  });
  const country = destination?.country;
  if (typeof country !== 'string' || !/^[A-Za-z]{2}$/.test(country)) {
    throw new BadRequest('destination.country: expected a two-letter country code (ISO 3166-1), e.g. "DE"');
  }
  const postalCode = destination.postal_code ?? null;
  if (postalCode !== null && (typeof postalCode !== 'string' || postalCode.length > 16)) {
    throw new BadRequest('destination.postal_code: expected a string of at most 16 characters');
  }
  const service = body.service ?? 'standard';
  if (service !== 'standard' && service !== 'express') {
    throw new BadRequest('service: expected "standard" or "express"');
  }
  return { items: checked, destination: { country: country.toUpperCase(), postal_code: postalCode }, service };
}

function quote({ items, destination, service }) {
  const grams = items.reduce((sum, it) => sum + WEIGHT_G[it.product_id] * it.quantity, 0);
  const zone = zoneOf(destination.country);
  const z = ZONES[zone];
  let price = z.base + z.perKg * Math.ceil(grams / 1000);
  let [minDays, maxDays] = z.days;
  if (service === 'express') {
    price = Math.round(price * EXPRESS.factor);
    minDays = Math.max(1, minDays - EXPRESS.daysOff);
    maxDays = Math.max(minDays, maxDays - EXPRESS.daysOff);
  }
  return {
    zone,
    service,
    weight_g: grams,
    price_cents: price,
    currency: 'EUR',
    eta_days: { min: minDays, max: maxDays },
  };
}

class Shipments {
  constructor() {
    this.byId = new Map();
    this.byOrder = new Map();
  }

  // The order's shipment, created on the first call: { shipment, created }.
  create(orderId, order) {
    const existing = this.byOrder.get(orderId);
    if (existing) return { shipment: existing, created: false };
    const q = quote(order);
    const now = new Date();
    const shipment = {
      id: `shp-${crypto.randomUUID().slice(0, 8)}`,
      order_id: orderId,
      status: 'label_created',
      created_at: now.toISOString(),
      estimated_delivery: new Date(now.getTime() + q.eta_days.max * 86400000).toISOString().slice(0, 10),
      items: order.items,
      destination: order.destination,
      quote: q,
    };
    this.byId.set(shipment.id, shipment);
    this.byOrder.set(orderId, shipment);
    return { shipment, created: true };
  }

  get(id) {
    return this.byId.get(id) ?? null;
  }

  forOrder(orderId) {
    return this.byOrder.get(orderId) ?? null;
  }
}

module.exports = { BadRequest, readOrder, quote, Shipments };
