//! What each service is for: recommendations for a product, shipping quotes,
//! and one shipment per order.

use super::*;

async fn get(svc: &Service, path: &str) -> (u16, Value) {
    let r = svc
        .http
        .get(format!("{}{path}", svc.url))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post(svc: &Service, path: &str, body: &Value) -> (u16, Value) {
    let r = svc
        .http
        .post(format!("{}{path}", svc.url))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn ids_of(v: &Value) -> Vec<u64> {
    v["recommendations"]
        .as_array()
        .unwrap_or_else(|| panic!("no recommendations: {v}"))
        .iter()
        .map(|r| r["product_id"].as_u64().expect("a product id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn recommendations_are_related_products_best_first() {
    let Some(svc) = Polyglot::Recommendations.start(NO_SPANS).await else {
        return;
    };
    let (status, body) = get(&svc, "/recommendations?product_id=7&limit=3").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["product_id"], 7);
    // Bought together most often first, then the same category.
    assert_eq!(ids_of(&body), [19, 11, 18]);
    assert_eq!(body["recommendations"][0]["reason"], "bought together");
    assert_eq!(body["recommendations"][2]["reason"], "same category");
    for id in 1..=20 {
        let (status, body) = get(&svc, &format!("/recommendations?product_id={id}")).await;
        assert_eq!(status, 200, "{id}: {body}");
        let ids = ids_of(&body);
        assert!(
            !ids.is_empty() && ids.len() <= 4,
            "{id}: default limit 4: {ids:?}"
        );
        assert!(!ids.contains(&id), "{id} recommends itself");
        assert!(ids.iter().all(|i| (1..=20).contains(i)), "{id}: {ids:?}");
    }
    for (path, status, words) in [
        ("/recommendations?product_id=99", 404, "no product 99"),
        (
            "/recommendations?product_id=x",
            400,
            "product_id: expected a whole number",
        ),
        ("/recommendations", 400, "product_id: missing"),
        (
            "/recommendations?product_id=1&limit=0",
            400,
            "limit: expected a whole number from 1 to 20",
        ),
        ("/recommendations?product_id=1&limit=21", 400, "limit"),
        ("/nothing", 404, "no route GET /nothing"),
    ] {
        let (got, body) = get(&svc, path).await;
        assert_eq!(got, status, "{path}: {body}");
        let reason = body["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(words), "{path}: {body}");
    }
}

fn order(country: &str) -> Value {
    json!({"items": [{"product_id": 7, "quantity": 2}, {"product_id": 10}], "destination": {"country": country}})
}

#[tokio::test(flavor = "multi_thread")]
async fn shipping_quotes_price_by_weight_and_zone() {
    let Some(svc) = Polyglot::Shipping.start(NO_SPANS).await else {
        return;
    };
    let (status, quote) = post(&svc, "/quotes", &order("DE")).await;
    assert_eq!(status, 200, "{quote}");
    // 2 x 40 g + 900 g: one started kilogram, EU zone.
    assert_eq!(quote["zone"], "eu");
    assert_eq!(quote["weight_g"], 980);
    assert_eq!(quote["price_cents"], 995 + 250);
    assert_eq!(quote["eta_days"], json!({"min": 2, "max": 4}));
    let price = |q: &Value| q["price_cents"].as_u64().unwrap();
    let (_, home) = post(&svc, "/quotes", &order("NL")).await;
    let (_, far) = post(&svc, "/quotes", &order("JP")).await;
    assert!(price(&home) < price(&quote) && price(&quote) < price(&far));
    let mut express = order("DE");
    express["service"] = json!("express");
    let (_, fast) = post(&svc, "/quotes", &express).await;
    assert!(price(&fast) > price(&quote), "{fast}");
    assert!(fast["eta_days"]["max"].as_u64() < quote["eta_days"]["max"].as_u64());

    for (body, words) in [
        (
            json!({"items": [{"product_id": 99}], "destination": {"country": "DE"}}),
            "items[0].product_id: no product 99",
        ),
        (
            json!({"items": [{"product_id": 1, "quantity": 0}], "destination": {"country": "DE"}}),
            "items[0].quantity",
        ),
        (
            json!({"items": [], "destination": {"country": "DE"}}),
            "items:",
        ),
        (
            json!({"items": [{"product_id": 1}], "destination": {"country": "Germany"}}),
            "destination.country",
        ),
        (
            json!({"items": [{"product_id": 1}], "destination": {"country": "DE"}, "service": "teleport"}),
            "service:",
        ),
        (json!([1, 2]), "expected a JSON object"),
    ] {
        let (status, answer) = post(&svc, "/quotes", &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"], "bad request");
        assert!(
            answer["reason"]
                .as_str()
                .unwrap_or_default()
                .contains(words),
            "{body}: {answer}"
        );
    }
    let r = svc
        .http
        .post(format!("{}/quotes", svc.url))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let answer: Value = r.json().await.unwrap();
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_shipment_per_order_however_often_it_is_asked_for() {
    let Some(svc) = Polyglot::Shipping.start(NO_SPANS).await else {
        return;
    };
    let mut body = order("FR");
    body["order_id"] = json!("order-1");
    // Ten at once, as a retried call or a redelivered event would.
    let answers = futures::future::join_all((0..10).map(|_| post(&svc, "/shipments", &body))).await;
    let created: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let id = created[0].1["id"].as_str().unwrap().to_string();
    for (status, shipment) in &answers {
        assert!([200, 201].contains(status), "{shipment}");
        assert_eq!(shipment["id"], id.as_str());
        assert_eq!(shipment["order_id"], "order-1");
        assert_eq!(shipment["status"], "label_created");
    }
    let (status, again) = get(&svc, &format!("/shipments/{id}")).await;
    assert_eq!((status, again["id"].as_str()), (200, Some(id.as_str())));
    let (status, by_order) = get(&svc, "/shipments?order_id=order-1").await;
    assert_eq!((status, by_order["id"].as_str()), (200, Some(id.as_str())));
    assert_eq!(by_order["quote"]["zone"], "eu");

    body["order_id"] = json!("order-2");
    let (status, other) = post(&svc, "/shipments", &body).await;
    assert_eq!(status, 201);
    assert_ne!(other["id"], id.as_str());

    let (status, missing) = get(&svc, "/shipments/shp-nope").await;
    assert_eq!(status, 404, "{missing}");
    assert_eq!(missing["reason"], "no shipment \"shp-nope\"");
    let (status, _) = get(&svc, "/shipments?order_id=order-3").await;
    assert_eq!(status, 404);
    let (status, bad) = post(&svc, "/shipments", &order("FR")).await;
    assert_eq!(status, 400);
    assert!(
        bad["reason"].as_str().unwrap().contains("order_id"),
        "{bad}"
    );

    // The route template, as the Rust services write it.
    let text = metrics_text(&svc).await;
    assert!(
        sample(
            &text,
            "http_server_request_duration_seconds_count",
            &[("http_route", "/shipments/{id}")]
        )
        .is_some(),
        "{text}"
    );
}
