//! MariaDB's `client_ed25519` auth plugin: an Ed25519 signature of the server's nonce
//! whose secret is SHA-512(password), where standard Ed25519 hashes a 32-byte seed.
//!
//! MariaDB's client (`plugin/auth_ed25519/ref10/sign.c`) hashes the password of any
//! length with SHA-512 and uses the digest as Ed25519's expanded secret key: clamped
//! lower half as the scalar, upper half as the nonce prefix. `ring` signs only from
//! 32-byte seeds, so the signature comes from `ed25519-dalek`'s `hazmat` interface,
//! which takes exactly such an expanded key. The curve arithmetic is the crate's
//! (constant-time); SHA-512 is `sha2`, the hash the crate signs with anyway.

use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

/// The signature MariaDB's server checks: R || S over `nonce`, secret from `password`.
pub fn sign(password: &[u8], nonce: &[u8]) -> [u8; 64] {
    let secret = expanded_secret(password);
    let public = VerifyingKey::from(&secret);
    raw_sign::<Sha512>(&secret, nonce, &public).to_bytes()
}

/// SHA-512 of the password as an expanded secret key (`from_bytes` clamps the scalar
/// half exactly as MariaDB does: `az[0] &= 248; az[31] &= 63; az[31] |= 64`).
/// The key zeroes itself when dropped; so does the digest copy here.
fn expanded_secret(password: &[u8]) -> ExpandedSecretKey {
    let mut az = Zeroizing::new([0u8; 64]);
    az.copy_from_slice(&Sha512::digest(password));
    ExpandedSecretKey::from_bytes(&az)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ED25519};

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn public_key(password: &[u8]) -> [u8; 32] {
        VerifyingKey::from(&expanded_secret(password)).to_bytes()
    }

    #[test]
    fn matches_rfc8032_test_1() {
        // With a 32-byte password, SHA-512(password) is exactly Ed25519's secret expansion.
        let seed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        assert_eq!(
            public_key(&seed).to_vec(),
            unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let sig = sign(&seed, b"");
        assert_eq!(
            sig.to_vec(),
            unhex(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            )
        );
    }

    #[test]
    fn ring_verifies_password_signatures() {
        for (password, nonce) in [
            (&b"secret"[..], &[7u8; 32][..]),
            (b"", &[0; 32]),
            (b"a much longer password here!", &[0xff; 32]),
        ] {
            let sig = sign(password, nonce);
            UnparsedPublicKey::new(&ED25519, public_key(password))
                .verify(nonce, &sig)
                .expect("ring rejects our signature");
            let mut other_nonce = nonce.to_vec();
            other_nonce[0] ^= 1;
            assert!(UnparsedPublicKey::new(&ED25519, public_key(password))
                .verify(&other_nonce, &sig)
                .is_err());
        }
    }
}
