"""The seed data: which products go together, in memory.

Product ids are the shop's (services/shop/src/seed.rs, 1 to 20). A product's
recommendations are the products bought together with it (weighted by how
often), then products of its category, best first; ties go to the lower id.
"""

# Categories of the shop's twenty products.
CATEGORIES = {
    "toys": [1, 9, 17],
    "kitchen": [2, 4, 14],
    "stationery": [3, 8, 12, 20],
    "home": [5, 6, 10, 15],
    "apparel": [13, 16],
    "gadgets": [7, 11, 18, 19],
}

# (a, b, how many orders held both): made-up order history, both directions.
BOUGHT_TOGETHER = [
    (1, 9, 42), (1, 17, 30), (1, 16, 12), (2, 14, 55), (2, 3, 18),
    (3, 12, 40), (3, 20, 33), (4, 6, 21), (5, 10, 37), (5, 15, 14),
    (6, 16, 19), (7, 19, 48), (7, 11, 16), (8, 3, 27), (8, 12, 22),
    (9, 17, 25), (10, 18, 11), (11, 18, 44), (12, 11, 9), (13, 16, 35),
    (13, 14, 8), (15, 6, 13), (19, 20, 17), (4, 2, 10),
]

PRODUCT_IDS = sorted(p for ids in CATEGORIES.values() for p in ids)
MAX_LIMIT = 20
DEFAULT_LIMIT = 4


def _category_of(product_id: int) -> str:
    return next(name for name, ids in CATEGORIES.items() if product_id in ids)


def _build() -> dict[int, list[dict]]:
    table = {}
    for pid in PRODUCT_IDS:
        scores = {}
        for a, b, n in BOUGHT_TOGETHER:
            if pid in (a, b):
                other = b if a == pid else a
                scores[other] = ("bought together", n)
        for other in CATEGORIES[_category_of(pid)]:
            if other != pid and other not in scores:
                scores[other] = ("same category", 0)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][1], kv[0]))
        table[pid] = [
            {"product_id": other, "reason": reason, "orders_together": n} for other, (reason, n) in ranked
        ]
    return table


RELATED = _build()


def related(product_id: int, limit: int):
    """The recommendations for `product_id`, or None for an unknown product."""
    found = RELATED.get(product_id)
    return None if found is None else found[:limit]
