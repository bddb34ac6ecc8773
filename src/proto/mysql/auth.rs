//! The client side of MySQL/MariaDB authentication plugins: what to answer to a
//! server nonce, so the password itself never crosses an unprotected connection.

use ring::digest::{digest, Algorithm, SHA1_FOR_LEGACY_USE_ONLY, SHA256};

pub const NATIVE: &str = "mysql_native_password";
pub const CACHING_SHA2: &str = "caching_sha2_password";
pub const SHA256_PASSWORD: &str = "sha256_password";
pub const CLEAR: &str = "mysql_clear_password";
pub const ED25519: &str = "client_ed25519";

/// Whether the connection itself protects a cleartext password: a unix socket
/// (local, kernel-checked) does; plain TCP does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Secure,
    Plain,
}

/// The auth response for `plugin` given the server's nonce. Errors are reasons
/// that name the plugin and what to do.
pub fn respond(
    plugin: &str,
    password: &str,
    nonce: &[u8],
    channel: Channel,
) -> Result<Vec<u8>, String> {
    match plugin {
        NATIVE => Ok(native_password(password, nonce)),
        CACHING_SHA2 => Ok(caching_sha2(password, nonce)),
        // sha256_password sends the password in the clear on secure channels only;
        // on TCP it needs the server's RSA key (see `full_auth_cleartext`).
        SHA256_PASSWORD | CLEAR => full_auth_cleartext(plugin, password, channel),
        // MariaDB's ed25519 signs a 32-byte nonce (the 20-byte greeting scramble is not one).
        ED25519 => match nonce.get(..32) {
            Some(nonce) => Ok(super::ed25519::sign(password.as_bytes(), nonce).to_vec()),
            None => Err(format!(
                "{ED25519}: the server sent a {}-byte nonce, not 32",
                nonce.len()
            )),
        },
        other => Err(format!(
            "auth plugin {other} not supported (supported: {NATIVE}, {CACHING_SHA2})"
        )),
    }
}

/// The password itself, NUL-terminated, for plugins that need it verbatim
/// (caching_sha2_password's full authentication, sha256_password, clear).
/// Only over a secure channel: on plain TCP MySQL 8 clients would encrypt it with
/// the server's RSA public key, which this client does not implement, so it does
/// what those clients do without a key: refuse, saying why.
pub fn full_auth_cleartext(
    plugin: &str,
    password: &str,
    channel: Channel,
) -> Result<Vec<u8>, String> {
    match channel {
        Channel::Secure => {
            let mut out = password.as_bytes().to_vec();
            out.push(0);
            Ok(out)
        }
        Channel::Plain => Err(format!(
            "{plugin} full authentication requires a secure connection: connect through the unix socket \
             (or log in once through it so the server caches the password; later TCP logins then take \
             the fast path), or give the health check user mysql_native_password"
        )),
    }
}

/// mysql_native_password: SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))).
pub fn native_password(password: &str, nonce: &[u8]) -> Vec<u8> {
    scramble(
        &SHA1_FOR_LEGACY_USE_ONLY,
        password,
        nonce,
        Order::NonceFirst,
    )
}

/// caching_sha2_password's fast path: SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce).
pub fn caching_sha2(password: &str, nonce: &[u8]) -> Vec<u8> {
    scramble(&SHA256, password, nonce, Order::NonceLast)
}

/// Where the nonce goes in the outer hash: the two plugins differ only there.
enum Order {
    NonceFirst,
    NonceLast,
}

fn scramble(alg: &'static Algorithm, password: &str, nonce: &[u8], order: Order) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    // Servers send a NUL after the nonce in some packets; it is not part of it.
    let nonce = nonce.get(..20).unwrap_or(nonce);
    let stage1 = digest(alg, password.as_bytes());
    let stage2 = digest(alg, stage1.as_ref());
    let mut outer = Vec::with_capacity(nonce.len() + stage2.as_ref().len());
    match order {
        Order::NonceFirst => {
            outer.extend_from_slice(nonce);
            outer.extend_from_slice(stage2.as_ref());
        }
        Order::NonceLast => {
            outer.extend_from_slice(stage2.as_ref());
            outer.extend_from_slice(nonce);
        }
    }
    let mask = digest(alg, &outer);
    stage1
        .as_ref()
        .iter()
        .zip(mask.as_ref())
        .map(|(a, b)| a ^ b)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn native_password_matches_reference() {
        // Verified with the server-side check: SHA1(nonce + stored) XOR response == SHA1(password),
        // where stored = SHA1(SHA1(password)) is what mysql.user keeps.
        let nonce = b"0123456789abcdefghij";
        let resp = native_password("secret", nonce);
        let stage1 = digest(&SHA1_FOR_LEGACY_USE_ONLY, b"secret");
        let stored = digest(&SHA1_FOR_LEGACY_USE_ONLY, stage1.as_ref());
        let mask = digest(
            &SHA1_FOR_LEGACY_USE_ONLY,
            &[&nonce[..], stored.as_ref()].concat(),
        );
        let recovered: Vec<u8> = resp.iter().zip(mask.as_ref()).map(|(a, b)| a ^ b).collect();
        assert_eq!(recovered, stage1.as_ref());
        // The stored hash of "secret" as PASSWORD('secret') prints it (without the '*').
        assert_eq!(
            hex(stored.as_ref()).to_uppercase(),
            "14E65567ABDB5135D0CFD9A70B3032C179A49EE7"
        );
        assert!(native_password("", nonce).is_empty());
    }

    #[test]
    fn caching_sha2_puts_the_nonce_last() {
        let nonce = b"0123456789abcdefghij";
        let resp = caching_sha2("secret", nonce);
        let stage1 = digest(&SHA256, b"secret");
        let stage2 = digest(&SHA256, stage1.as_ref());
        let mask = digest(&SHA256, &[stage2.as_ref(), &nonce[..]].concat());
        let recovered: Vec<u8> = resp.iter().zip(mask.as_ref()).map(|(a, b)| a ^ b).collect();
        assert_eq!(recovered, stage1.as_ref());
        assert_eq!(resp.len(), 32);
    }

    #[test]
    fn cleartext_only_on_secure_channels() {
        assert_eq!(
            full_auth_cleartext(CLEAR, "pw", Channel::Secure).unwrap(),
            b"pw\0"
        );
        let err = full_auth_cleartext(CACHING_SHA2, "pw", Channel::Plain).unwrap_err();
        assert!(
            err.contains("secure connection") && !err.contains("pw\0"),
            "{err}"
        );
        assert!(respond(ED25519, "pw", b"n", Channel::Secure)
            .unwrap_err()
            .contains("not 32"));
        assert_eq!(
            respond(ED25519, "pw", &[1; 33], Channel::Plain)
                .unwrap()
                .len(),
            64
        );
        assert!(respond("dialog", "pw", &[1; 20], Channel::Plain)
            .unwrap_err()
            .contains("not supported"));
    }
}
