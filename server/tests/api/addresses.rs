//! Who a client is, for every limit: behind a proxy only the entry it wrote counts, IPv6
//! clients by their prefix.

use reqwest::StatusCode;

use crate::support::*;

/// A server that trusts `header` and allows two failures per client.
async fn behind(header: &str, prefix: u8) -> TestServer {
    let mut config = default_config();
    config.failed_attempts = 2;
    config.client_ip_header = Some(header.into());
    config.ipv6_prefix = prefix;
    embedded("addresses", config).await
}

/// A failing read (an unknown alias) as the client that `header: value` names.
async fn fail_as(server: &TestServer, header: &str, value: &str) -> StatusCode {
    server
        .client
        .get(server.url("/api/secrets/Unknown1"))
        .header(header, value)
        .send()
        .await
        .unwrap()
        .status()
}

const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;
const LIMITED: StatusCode = StatusCode::TOO_MANY_REQUESTS;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_clients_share_their_64_and_the_rightmost_entry_counts() {
    let server = behind("X-Forwarded-For", 64).await;
    let xff = "x-forwarded-for";
    assert_eq!(fail_as(&server, xff, "2001:db8::1").await, NOT_FOUND);
    assert_eq!(fail_as(&server, xff, "2001:db8::2").await, NOT_FOUND);
    // A third address of the same /64 is the same client.
    assert_eq!(fail_as(&server, xff, "[2001:db8::3]:443").await, LIMITED);
    assert_eq!(fail_as(&server, xff, "2001:db8:0:1::1").await, NOT_FOUND);
    // The proxy's entry is the rightmost; a port is dropped; the left one is ignored.
    assert_eq!(
        fail_as(&server, xff, "9.9.9.9, 1.2.3.4:443").await,
        NOT_FOUND
    );
    assert_eq!(fail_as(&server, xff, "8.8.8.8, 1.2.3.4").await, NOT_FOUND);
    assert_eq!(fail_as(&server, xff, "1.2.3.4").await, LIMITED);
    assert_eq!(fail_as(&server, xff, "9.9.9.9").await, NOT_FOUND);
    // An entry that is not an address: the socket's peer, never the forgeable left entry.
    assert_eq!(fail_as(&server, xff, "1.2.3.4, unknown").await, NOT_FOUND);
    assert_eq!(fail_as(&server, xff, "1.2.3.4, garbage").await, NOT_FOUND);
    assert_eq!(fail_as(&server, xff, "5.5.5.5, unknown").await, LIMITED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ipv6_prefix_is_configurable() {
    let server = behind("X-Forwarded-For", 128).await;
    let xff = "x-forwarded-for";
    for ip in ["2001:db8::1", "2001:db8::2", "2001:db8::3"] {
        assert_eq!(fail_as(&server, xff, ip).await, NOT_FOUND, "{ip}");
    }
    let server = behind("X-Forwarded-For", 48).await;
    assert_eq!(fail_as(&server, xff, "2001:db8:0:1::1").await, NOT_FOUND);
    assert_eq!(fail_as(&server, xff, "2001:db8:0:2::1").await, NOT_FOUND);
    assert_eq!(fail_as(&server, xff, "2001:db8:0:3::1").await, LIMITED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_is_understood() {
    let server = behind("Forwarded", 64).await;
    let fwd = "forwarded";
    assert_eq!(
        fail_as(
            &server,
            fwd,
            "for=9.9.9.9, for=\"[2001:db8::7]:443\";proto=https"
        )
        .await,
        NOT_FOUND
    );
    assert_eq!(fail_as(&server, fwd, "for=2001:db8::8").await, NOT_FOUND);
    assert_eq!(
        fail_as(&server, fwd, "proto=https;for=\"[2001:db8::9]\"").await,
        LIMITED
    );
    // The left element is the client's own claim: not used.
    assert_eq!(
        fail_as(&server, fwd, "for=2001:db8::1, for=7.7.7.7").await,
        NOT_FOUND
    );
    // Obfuscated or unknown: the peer.
    assert_eq!(
        fail_as(&server, fwd, "for=2001:db8::1, for=_hidden").await,
        NOT_FOUND
    );
}
