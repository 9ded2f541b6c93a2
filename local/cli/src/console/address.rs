//! Where the console listens: loopback only, by the project's one rule
//! ([`emrflow_local_emr::loopback`]). The console shows logs, inputs and causes and (with
//! `--allow-actions`) stops and starts executions with the user's credentials; it has no
//! login, so it must not be reachable from another machine.

use std::net::SocketAddr;

/// The address to listen on for `--host HOST --port N`: `127.x.y.z`, `::1` or `localhost`
/// (as 127.0.0.1); anything else is refused, saying why and what to use instead.
pub fn listen_addr(host: &str, port: u16) -> Result<SocketAddr, String> {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    let text = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    emrflow_local_emr::loopback::parse_listen_addr(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_accepted_and_localhost_is_127_0_0_1() {
        // GIVEN the ways a person writes loopback WHEN parsed THEN loopback addresses
        assert_eq!(
            listen_addr("127.0.0.1", 8686),
            Ok("127.0.0.1:8686".parse().unwrap())
        );
        assert_eq!(
            listen_addr("localhost", 0),
            Ok("127.0.0.1:0".parse().unwrap())
        );
        assert_eq!(listen_addr("[::1]", 9), Ok("[::1]:9".parse().unwrap()));
        assert_eq!(
            listen_addr("127.0.0.2", 9),
            Ok("127.0.0.2:9".parse().unwrap())
        );
    }

    #[test]
    fn any_other_host_is_refused_saying_why_and_what_to_use() {
        // GIVEN every interface, a LAN address, a name, a public IPv6 address
        for host in [
            "0.0.0.0",
            "192.168.1.20",
            "example.com",
            "::",
            "2001:db8::1",
        ] {
            // WHEN parsed THEN refused, in words that say why and what to do instead
            let refused = listen_addr(host, 8686).expect_err(host);
            assert!(refused.contains("only on loopback"), "{refused}");
            assert!(refused.contains("ssh -L 8686:127.0.0.1:8686"), "{refused}");
        }
    }
}
