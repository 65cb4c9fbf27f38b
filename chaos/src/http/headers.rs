//! Hop-by-hop headers (RFC 9110, 7.6.1): they describe one connection, so
//! the http-mode proxy drops them from requests and responses it forwards.

use std::sync::LazyLock;

use http::header::{self, HeaderName};

const HOP_COUNT: usize = 9;

/// Headers that describe one connection, not the message (RFC 9110, 7.6.1):
/// a proxy does not forward them.
static HOP_BY_HOP: LazyLock<[HeaderName; HOP_COUNT]> = LazyLock::new(|| {
    [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ]
});

/// Remove hop-by-hop headers, and the headers `Connection` names. A message
/// with none is looked over once and left as it is.
pub fn strip_hop_by_hop(headers: &mut http::HeaderMap) {
    let hop = &*HOP_BY_HOP;
    let mut present = [false; HOP_COUNT];
    for name in headers.keys() {
        if let Some(i) = hop.iter().position(|h| h == name) {
            present[i] = true;
        }
    }
    if !present.contains(&true) {
        return;
    }
    // The names `Connection` lists go too.
    let named: Vec<HeaderName> = if headers.contains_key(header::CONNECTION) {
        headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
            .filter(|name| !hop.contains(name))
            .collect()
    } else {
        Vec::new()
    };
    for (name, _) in hop.iter().zip(present).filter(|(_, p)| *p) {
        headers.remove(name);
    }
    for name in &named {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::strip_hop_by_hop;
    use http::HeaderMap;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_go() {
        let mut h = map(&[
            ("connection", "close, X-Session"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("x-session", "abc"),
            ("te", "trailers"),
            ("content-type", "text/plain"),
            ("x-kept", "1"),
        ]);
        strip_hop_by_hop(&mut h);
        let mut left: Vec<_> = h.keys().map(|k| k.as_str().to_string()).collect();
        left.sort();
        assert_eq!(left, ["content-type", "x-kept"]);
    }

    #[test]
    fn a_message_without_them_is_left_whole() {
        let mut h = map(&[("content-type", "text/plain"), ("x-session", "abc")]);
        let before = h.clone();
        strip_hop_by_hop(&mut h);
        assert_eq!(h, before);
    }
}
