//! Who is asking: the client address, through as many trusted proxies as configured.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::ConnectInfo;
use http::HeaderMap;
use http::request::Parts;

use super::AppState;

/// The client's address, as a handler argument.
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts, state)))
    }
}

/// The client's address for `parts` (see [`client_address`]).
pub fn client_ip(parts: &Parts, state: &AppState) -> IpAddr {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    client_address(&parts.headers, peer, state.settings().proxy_hops, state.forwarded_warning())
}

/// The TCP peer, or with `hops` trusted proxies the entry that many places from the right of
/// `X-Forwarded-For` (entries further left are whatever the client claimed). If any of the
/// entries the proxies appended does not parse as an address, the header cannot be trusted and
/// the peer is used: a malformed entry must not shift which one counts.
pub fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, hops: usize, warned: &AtomicBool) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if hops == 0 {
        if !entries.is_empty() && !warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "security",
                event = "forwarded_for_ignored",
                %peer,
                "requests arrive with X-Forwarded-For but PROXY_HOPS=0: every client looks like the proxy \
                 to login throttling and the marking cap; set PROXY_HOPS to the number of proxies in front of the app"
            );
        }
        return peer;
    }
    let Some(first_trusted) = entries.len().checked_sub(hops) else { return peer };
    let trusted: Option<Vec<IpAddr>> = entries[first_trusted..].iter().map(|e| parse_entry(e)).collect();
    trusted.and_then(|t| t.first().copied()).unwrap_or(peer)
}

/// An address as proxies write it: bare, or IPv6 in brackets, possibly with a port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().expect("header"));
        }
        map
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    fn ip(headers: &HeaderMap, hops: usize) -> IpAddr {
        client_address(headers, Some(PEER), hops, &AtomicBool::new(false))
    }

    #[test]
    fn the_proxys_entry_counts_not_what_the_client_claims() {
        let h = headers(&["1.1.1.1, 203.0.113.7"]);
        assert_eq!(ip(&h, 1), "203.0.113.7".parse::<IpAddr>().expect("ip"));
        assert_eq!(ip(&h, 2), "1.1.1.1".parse::<IpAddr>().expect("ip"));
        assert_eq!(ip(&h, 0), PEER);
        assert_eq!(
            ip(&headers(&["1.1.1.1", "203.0.113.7"]), 1),
            "203.0.113.7".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(ip(&headers(&["[2001:db8::1]:4711"]), 1), "2001:db8::1".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn unparseable_or_missing_entries_fall_back_to_the_peer() {
        assert_eq!(ip(&headers(&["1.1.1.1, unknown"]), 1), PEER);
        // Garbage between the trusted entries must not shift the index.
        assert_eq!(ip(&headers(&["1.1.1.1, 203.0.113.7, garbage, 198.51.100.1"]), 2), PEER);
        assert_eq!(ip(&headers(&["203.0.113.7"]), 2), PEER, "fewer entries than proxies");
        assert_eq!(ip(&HeaderMap::new(), 1), PEER);
        // Client-supplied garbage further left does not matter.
        assert_eq!(ip(&headers(&["<script>, 203.0.113.7"]), 1), "203.0.113.7".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn a_forwarded_header_without_proxy_hops_is_warned_about_once() {
        let warned = AtomicBool::new(false);
        client_address(&headers(&["203.0.113.7"]), Some(PEER), 0, &warned);
        assert!(warned.load(Ordering::Relaxed));
    }
}
