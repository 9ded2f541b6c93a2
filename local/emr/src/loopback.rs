//! Loopback only: the one rule for every address emrflow serves on (the local EMR, and
//! anything else that listens, e.g. a console). What emrflow serves has no authentication,
//! and the local EMR runs Command and Script steps as commands on this machine: listening
//! beyond loopback would let anyone who reaches the port run commands here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The address to listen on, from what a person typed: `127.0.0.1:P` (any `127.x.y.z:P`),
/// `[::1]:P` or `localhost:P` (taken as `127.0.0.1:P`, whatever name resolution says). Any
/// other address is refused, saying why and what to use instead. Port 0 means any free port.
pub fn parse_listen_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let addr = match text.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => match text.rsplit_once(':') {
            Some((host, port)) if host.eq_ignore_ascii_case("localhost") => {
                let port = port.parse::<u16>().map_err(|_| {
                    format!("'{text}' is not an address to listen on: '{port}' is not a port number (0 to 65535)")
                })?;
                SocketAddr::from((Ipv4Addr::LOCALHOST, port))
            }
            Some((host, _)) if !host.is_empty() && !host.contains(':') => {
                return Err(refusal(text, host_port(text)));
            }
            _ => {
                return Err(format!(
                    "'{text}' is not an address to listen on: give HOST:PORT, e.g. 127.0.0.1:4599, [::1]:4599 or localhost:4599"
                ))
            }
        },
    };
    check_loopback(addr).map(|()| addr)
}

/// Refuses an address that is not on loopback, in the words of [`parse_listen_addr`]: what
/// a listener binds, or was bound to, must pass this.
pub fn check_loopback(addr: SocketAddr) -> Result<(), String> {
    if is_loopback(addr.ip()) {
        Ok(())
    } else {
        Err(refusal(&addr.to_string(), addr.port()))
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip == Ipv6Addr::LOCALHOST,
    }
}

/// The port of `host:port` text, for the suggestion (the default port when it is not one).
fn host_port(text: &str) -> u16 {
    text.rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or(4599)
}

fn refusal(shown: &str, port: u16) -> String {
    format!(
        "will not listen on {shown}, only on loopback: what emrflow serves has no authentication — the local EMR runs Command and Script steps as commands on this machine, the console shows your executions' inputs, causes and logs (and with --allow-actions stops and starts them with your credentials) — so anyone who could reach {shown} could run commands here (remote command execution) or act as you. Use 127.0.0.1:{port}, [::1]:{port} or localhost:{port}; to use it from another machine, forward the port over SSH (ssh -L {port}:127.0.0.1:{port} THIS-HOST)."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_and_localhost_are_accepted() {
        // GIVEN the ways a person writes a loopback address
        for (text, expected) in [
            ("127.0.0.1:4599", "127.0.0.1:4599"),
            ("127.1.2.3:80", "127.1.2.3:80"),
            ("[::1]:4599", "[::1]:4599"),
            ("localhost:4599", "127.0.0.1:4599"),
            ("LocalHost:0", "127.0.0.1:0"),
            (" 127.0.0.1:4599 ", "127.0.0.1:4599"),
        ] {
            // WHEN parsed THEN the loopback socket address
            assert_eq!(
                parse_listen_addr(text).map(|addr| addr.to_string()),
                Ok(expected.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn every_other_address_is_refused_saying_why_and_what_to_use() {
        // GIVEN addresses beyond loopback: every interface, a LAN address, a name, IPv6
        for (text, port) in [
            ("0.0.0.0:4599", 4599),
            ("[::]:4599", 4599),
            ("192.168.1.20:8080", 8080),
            ("emr.example.com:4599", 4599),
            ("[::ffff:127.0.0.1]:4599", 4599),
            ("[fe80::1]:4599", 4599),
        ] {
            // WHEN parsed THEN refused: loopback only, why, and the address to use instead
            let refused = parse_listen_addr(text).expect_err(text);
            assert!(refused.contains("only on loopback"), "{refused}");
            assert!(refused.contains("no authentication"), "{refused}");
            assert!(refused.contains("remote command execution"), "{refused}");
            assert!(
                refused.contains(&format!(
                    "Use 127.0.0.1:{port}, [::1]:{port} or localhost:{port}"
                )),
                "{refused}"
            );
        }
    }

    #[test]
    fn text_that_is_no_address_says_what_to_give() {
        // GIVEN text without a port, or with a bad one
        for text in [
            "localhost",
            "127.0.0.1",
            "",
            "localhost:http",
            "localhost:70000",
        ] {
            // WHEN parsed THEN an error in words, never a Rust parse error
            let refused = parse_listen_addr(text).expect_err(text);
            assert!(refused.contains("not an address to listen on"), "{refused}");
            assert!(!refused.contains("AddrParseError"), "{refused}");
        }
    }

    #[test]
    fn a_bound_address_is_checked_by_the_same_rule() {
        // GIVEN what listeners report once bound WHEN checked THEN loopback passes, the rest not
        assert_eq!(check_loopback("127.0.0.1:0".parse().expect("addr")), Ok(()));
        assert_eq!(check_loopback("[::1]:9".parse().expect("addr")), Ok(()));
        let refused = check_loopback("0.0.0.0:9".parse().expect("addr")).expect_err("any");
        assert!(
            refused.contains("will not listen on 0.0.0.0:9"),
            "{refused}"
        );
    }
}
