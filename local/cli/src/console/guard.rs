//! What keeps other sites out. Every request must name this console as its Host (a page on
//! another site that rebinds its own name to 127.0.0.1 cannot read it); the actions are
//! POSTs that must come from this console's own pages — their Origin, and a token made at
//! launch and written only into those pages — so no cross-site request can stop or start an
//! execution.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::page::Problem;
use super::Console;

/// The Host values this console answers to: its address, and `localhost` with its port.
pub fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    vec![addr.to_string(), format!("localhost:{}", addr.port())]
}

/// A fresh token for this launch: 128 bits from the system's random source.
pub fn launch_token() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(|error| format!("cannot make the actions' token (/dev/urandom): {error}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Compares in time independent of where the texts differ.
pub fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// Refuses a request whose Host is not this console, and a POST from anywhere but its pages.
pub async fn guard(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    if let Err(problem) = check(&console.hosts, request.method(), request.headers()) {
        return problem.into_response();
    }
    next.run(request).await
}

fn check(hosts: &[String], method: &Method, headers: &HeaderMap) -> Result<(), Problem> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !hosts
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(host))
    {
        return Err(Problem::new(
            StatusCode::MISDIRECTED_REQUEST,
            "Not this console's address",
            format!(
                "this console answers only at http://{} (the request named '{host}')",
                hosts.first().map(String::as_str).unwrap_or_default()
            ),
        ));
    }
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| site != "same-origin");
    if origin != format!("http://{host}") || cross_site {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "Refused",
            "actions are taken only from this console's own pages (the request came from another origin, or named none)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_this_consoles_host_is_answered() {
        // GIVEN the console at 127.0.0.1:8686
        let hosts = allowed_hosts("127.0.0.1:8686".parse().unwrap());
        // WHEN asked by its address, by localhost, and by a rebound name
        // THEN the first two are served, the third refused
        assert!(check(
            &hosts,
            &Method::GET,
            &headers(&[("host", "127.0.0.1:8686")])
        )
        .is_ok());
        assert!(check(
            &hosts,
            &Method::GET,
            &headers(&[("host", "localhost:8686")])
        )
        .is_ok());
        let refused = check(
            &hosts,
            &Method::GET,
            &headers(&[("host", "evil.example:8686")]),
        );
        assert_eq!(
            refused.map_err(|p| p.status),
            Err(StatusCode::MISDIRECTED_REQUEST)
        );
    }

    #[test]
    fn a_post_needs_this_consoles_origin() {
        let hosts = allowed_hosts("127.0.0.1:8686".parse().unwrap());
        let post = |pairs: &[(&'static str, &'static str)]| {
            check(&hosts, &Method::POST, &headers(pairs)).map_err(|p| p.status)
        };
        // GIVEN POSTs: from its page, from another site, with no Origin, cross-site fetch
        // WHEN checked THEN only the first passes
        assert_eq!(
            post(&[
                ("host", "127.0.0.1:8686"),
                ("origin", "http://127.0.0.1:8686")
            ]),
            Ok(())
        );
        assert_eq!(
            post(&[
                ("host", "127.0.0.1:8686"),
                ("origin", "https://evil.example")
            ]),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            post(&[("host", "127.0.0.1:8686")]),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            post(&[
                ("host", "127.0.0.1:8686"),
                ("origin", "http://127.0.0.1:8686"),
                ("sec-fetch-site", "cross-site")
            ]),
            Err(StatusCode::FORBIDDEN)
        );
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        // GIVEN two launch tokens WHEN made THEN 32 hex characters, different
        let (a, b) = (launch_token().unwrap(), launch_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        // AND only the same text matches
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..31]));
    }
}
