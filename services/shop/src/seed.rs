//! The shop's seed data: two users and twenty products, the same in every
//! process (catalog owns the list; orders keeps a price snapshot from it).

/// A seeded account: (id, name, email, password).
pub const USERS: &[(u64, &str, &str, &str)] = &[
    (1, "Alice", "alice@example.com", "alice"),
    (2, "Bob", "bob@example.com", "bob"),
];

/// A product: id, name, price in cents, initial stock.
#[derive(Debug, Clone, Copy)]
pub struct Product {
    pub id: u64,
    pub name: &'static str,
    pub price_cents: u64,
    pub stock: u64,
}

const fn p(id: u64, name: &'static str, price_cents: u64, stock: u64) -> Product {
    Product {
        id,
        name,
        price_cents,
        stock,
    }
}

/// The catalogue.
pub const PRODUCTS: &[Product] = &[
    p(1, "Chaos Monkey plush", 1999, 500),
    p(2, "Circuit breaker mug", 1299, 500),
    p(3, "Retry budget notebook", 799, 500),
    p(4, "Bulkhead water bottle", 2499, 400),
    p(5, "Timeout hourglass", 1599, 300),
    p(6, "Fallback umbrella", 2999, 300),
    p(7, "Idempotency key ring", 599, 1000),
    p(8, "Saga storybook", 1899, 200),
    p(9, "Jitter dice set", 999, 600),
    p(10, "Deadline desk clock", 3499, 150),
    p(11, "Tracing flashlight", 2199, 250),
    p(12, "Span waterfall poster", 1499, 400),
    p(13, "Histogram socks", 899, 800),
    p(14, "P99 coffee beans", 1699, 350),
    p(15, "Half-open door stop", 1099, 250),
    p(16, "Backoff hoodie", 4999, 120),
    p(17, "Load generator fidget", 799, 900),
    p(18, "Prometheus torch", 2599, 180),
    p(19, "Gateway keycap", 499, 1500),
    p(20, "Rollback eraser", 299, 2000),
];

pub fn product(id: u64) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.id == id)
}
