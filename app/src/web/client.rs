//! Who is asking: the client address, through as many trusted proxies as configured.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::request::Parts;

/// The client's address: the TCP peer, or with `hops` trusted proxies the entry that many
/// places from the right of `X-Forwarded-For` (entries further left are client-supplied).
pub fn client_ip(parts: &Parts, hops: usize) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |ConnectInfo(addr)| addr.ip());
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect();
    forwarded.len().checked_sub(hops).and_then(|i| forwarded.get(i).copied()).unwrap_or(peer)
}
