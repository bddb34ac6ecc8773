//! MariaDB's `client_ed25519` auth plugin: an Ed25519 signature of the server's nonce
//! whose secret is SHA-512(password) (where standard Ed25519 hashes a 32-byte seed).
//! `ring` signs only from seeds, so the curve arithmetic is here: field elements mod
//! 2^255-19 in five 51-bit limbs, points in extended twisted-Edwards coordinates
//! with the complete addition law, scalars mod the group order by long division.
//! Simple rather than fast or constant-time: it runs once per check, locally, and is
//! verified against `ring`'s Ed25519 verifier and RFC 8032 in the tests.

use ring::digest::{digest, SHA512};

/// The signature MariaDB's server checks: R || S over `nonce`, secret from `password`.
pub fn sign(password: &[u8], nonce: &[u8]) -> [u8; 64] {
    let (az, public) = expand(password);
    let mut r_input = az[32..].to_vec();
    r_input.extend_from_slice(nonce);
    let r = reduce(digest(&SHA512, &r_input).as_ref());
    let r_point = Point::base().mul(&r).encode();
    let mut k_input = r_point.to_vec();
    k_input.extend_from_slice(&public);
    k_input.extend_from_slice(nonce);
    let k = reduce(digest(&SHA512, &k_input).as_ref());
    let s = mul_add(&k, &az[..32], &r);
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_point);
    sig[32..].copy_from_slice(&s);
    sig
}

/// SHA-512 of the password with the scalar half clamped, and the public key.
fn expand(password: &[u8]) -> ([u8; 64], [u8; 32]) {
    let mut az = [0u8; 64];
    az.copy_from_slice(digest(&SHA512, password).as_ref());
    az[0] &= 248;
    az[31] &= 63;
    az[31] |= 64;
    let mut a = [0u8; 32];
    a.copy_from_slice(&az[..32]);
    (az, Point::base().mul(&a).encode())
}

const MASK: u64 = (1 << 51) - 1;

/// An element of GF(2^255 - 19), limbs kept below 2^52 by every operation.
#[derive(Clone, Copy, Debug)]
struct Fe([u64; 5]);

/// Little-endian exponents used for inversion and square roots.
const P_MINUS_2: [u8; 32] = le_exponent(0xeb, 0x7f);
const P_MINUS_5_DIV_8: [u8; 32] = le_exponent(0xfd, 0x0f);
const P_MINUS_1_DIV_4: [u8; 32] = le_exponent(0xfb, 0x1f);

/// `low`, thirty 0xff bytes, `high`: the shape of every exponent above.
const fn le_exponent(low: u8, high: u8) -> [u8; 32] {
    let mut e = [0xff; 32];
    e[0] = low;
    e[31] = high;
    e
}

impl Fe {
    const ZERO: Fe = Fe([0; 5]);
    const ONE: Fe = Fe([1, 0, 0, 0, 0]);

    fn small(n: u64) -> Fe {
        Fe([n, 0, 0, 0, 0])
    }

    /// Propagate carries; the carry out of the top limb wraps around times 19.
    fn carry(mut l: [u128; 5]) -> Fe {
        for i in 0..4 {
            l[i + 1] += l[i] >> 51;
            l[i] &= MASK as u128;
        }
        l[0] += (l[4] >> 51) * 19;
        l[4] &= MASK as u128;
        l[1] += l[0] >> 51;
        l[0] &= MASK as u128;
        Fe(l.map(|x| x as u64))
    }

    fn add(&self, o: &Fe) -> Fe {
        Fe::carry(std::array::from_fn(|i| {
            u128::from(self.0[i]) + u128::from(o.0[i])
        }))
    }

    /// self - o, computed as self + 4p - o so no limb goes negative.
    fn sub(&self, o: &Fe) -> Fe {
        const FOUR_P: [u128; 5] = [
            (MASK as u128 - 18) * 4,
            MASK as u128 * 4,
            MASK as u128 * 4,
            MASK as u128 * 4,
            MASK as u128 * 4,
        ];
        Fe::carry(std::array::from_fn(|i| {
            u128::from(self.0[i]) + FOUR_P[i] - u128::from(o.0[i])
        }))
    }

    fn mul(&self, o: &Fe) -> Fe {
        let a = self.0.map(u128::from);
        let b = o.0.map(u128::from);
        let b19 = b.map(|x| x * 19);
        Fe::carry([
            a[0] * b[0] + a[1] * b19[4] + a[2] * b19[3] + a[3] * b19[2] + a[4] * b19[1],
            a[0] * b[1] + a[1] * b[0] + a[2] * b19[4] + a[3] * b19[3] + a[4] * b19[2],
            a[0] * b[2] + a[1] * b[1] + a[2] * b[0] + a[3] * b19[4] + a[4] * b19[3],
            a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0] + a[4] * b19[4],
            a[0] * b[4] + a[1] * b[3] + a[2] * b[2] + a[3] * b[1] + a[4] * b[0],
        ])
    }

    fn pow(&self, exponent: &[u8; 32]) -> Fe {
        let mut acc = Fe::ONE;
        for bit in (0..256).rev() {
            acc = acc.mul(&acc);
            if exponent[bit / 8] >> (bit % 8) & 1 == 1 {
                acc = acc.mul(self);
            }
        }
        acc
    }

    fn invert(&self) -> Fe {
        self.pow(&P_MINUS_2)
    }

    fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    /// The canonical 32-byte little-endian encoding (fully reduced mod p).
    fn to_bytes(self) -> [u8; 32] {
        let mut h = self.0;
        // Three carry rounds leave every limb below 2^51, so h < 2^255.
        for _ in 0..3 {
            for i in 0..4 {
                h[i + 1] += h[i] >> 51;
                h[i] &= MASK;
            }
            h[0] += 19 * (h[4] >> 51);
            h[4] &= MASK;
        }
        // Subtract p once if h >= p, i.e. if h + 19 reaches 2^255.
        let mut q = (h[0] + 19) >> 51;
        for limb in &h[1..] {
            q = (limb + q) >> 51;
        }
        h[0] += 19 * q;
        for i in 0..4 {
            h[i + 1] += h[i] >> 51;
            h[i] &= MASK;
        }
        h[4] &= MASK;
        let mut out = [0u8; 32];
        let mut acc: u128 = 0;
        let mut bits = 0;
        let mut pos = 0;
        for limb in h {
            acc |= u128::from(limb) << bits;
            bits += 51;
            while bits >= 8 && pos < 32 {
                out[pos] = acc as u8;
                acc >>= 8;
                bits -= 8;
                pos += 1;
            }
        }
        if pos < 32 {
            out[pos] = acc as u8;
        }
        out
    }

    fn is_negative(&self) -> bool {
        self.to_bytes()[0] & 1 == 1
    }

    fn equals(&self, o: &Fe) -> bool {
        self.to_bytes() == o.to_bytes()
    }
}

/// A curve point (X : Y : Z : T) with x = X/Z, y = Y/Z, xy = T/Z.
#[derive(Clone, Copy, Debug)]
struct Point {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

/// The curve constant d = -121665/121666 (computed once: it takes an inversion).
fn d() -> Fe {
    static D: std::sync::OnceLock<Fe> = std::sync::OnceLock::new();
    *D.get_or_init(|| Fe::small(121665).neg().mul(&Fe::small(121666).invert()))
}

impl Point {
    const IDENTITY: Point = Point {
        x: Fe::ZERO,
        y: Fe::ONE,
        z: Fe::ONE,
        t: Fe::ZERO,
    };

    /// The standard base point: y = 4/5, x even.
    fn base() -> Point {
        let y = Fe::small(4).mul(&Fe::small(5).invert());
        // x^2 = (y^2 - 1) / (d y^2 + 1); the square root as in RFC 8032, 5.1.3.
        let yy = y.mul(&y);
        let u = yy.sub(&Fe::ONE);
        let v = d().mul(&yy).add(&Fe::ONE);
        let v3 = v.mul(&v).mul(&v);
        let v7 = v3.mul(&v3).mul(&v);
        let mut x = u.mul(&v3).mul(&u.mul(&v7).pow(&P_MINUS_5_DIV_8));
        if !v.mul(&x).mul(&x).equals(&u) {
            let sqrt_minus_1 = Fe::small(2).pow(&P_MINUS_1_DIV_4);
            x = x.mul(&sqrt_minus_1);
        }
        if x.is_negative() {
            x = x.neg();
        }
        Point {
            x,
            y,
            z: Fe::ONE,
            t: x.mul(&y),
        }
    }

    /// The complete addition law for a = -1 (add-2008-hwcd-3); it also doubles.
    fn add(&self, o: &Point) -> Point {
        let d = d();
        let two_d = d.add(&d);
        let a = self.y.sub(&self.x).mul(&o.y.sub(&o.x));
        let b = self.y.add(&self.x).mul(&o.y.add(&o.x));
        let c = self.t.mul(&two_d).mul(&o.t);
        let dd = self.z.add(&self.z).mul(&o.z);
        let (e, f, g, h) = (b.sub(&a), dd.sub(&c), dd.add(&c), b.add(&a));
        Point {
            x: e.mul(&f),
            y: g.mul(&h),
            z: f.mul(&g),
            t: e.mul(&h),
        }
    }

    /// scalar * self, scalar little-endian.
    fn mul(&self, scalar: &[u8; 32]) -> Point {
        let mut acc = Point::IDENTITY;
        for bit in (0..256).rev() {
            acc = acc.add(&acc);
            if scalar[bit / 8] >> (bit % 8) & 1 == 1 {
                acc = acc.add(self);
            }
        }
        acc
    }

    fn encode(&self) -> [u8; 32] {
        let zinv = self.z.invert();
        let mut out = self.y.mul(&zinv).to_bytes();
        out[31] |= u8::from(self.x.mul(&zinv).is_negative()) << 7;
        out
    }
}

/// The group order l = 2^252 + 27742317777372353535851937790883648493, little-endian u64 limbs.
const L: [u64; 4] = [
    0x5812631a5cf5d3ed,
    0x14def9dea2f79cd6,
    0,
    0x1000000000000000,
];

/// A little-endian number of any length, reduced mod l (bit-by-bit long division).
fn reduce(bytes: &[u8]) -> [u8; 32] {
    let mut r = [0u64; 4];
    for bit in (0..bytes.len() * 8).rev() {
        // r < l < 2^253, so 2r + 1 fits in 256 bits.
        let mut carry = u64::from(bytes[bit / 8] >> (bit % 8) & 1);
        for limb in r.iter_mut() {
            let next = *limb >> 63;
            *limb = *limb << 1 | carry;
            carry = next;
        }
        if !less_than(&r, &L) {
            let mut borrow = false;
            for (limb, l) in r.iter_mut().zip(L) {
                let (d1, b1) = limb.overflowing_sub(l);
                let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
                *limb = d2;
                borrow = b1 || b2;
            }
        }
    }
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_mut(8).zip(r) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    out
}

fn less_than(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// (k * a + r) mod l for 32-byte little-endian k, a, r.
fn mul_add(k: &[u8], a: &[u8], r: &[u8]) -> [u8; 32] {
    let limbs = |b: &[u8]| -> [u64; 4] {
        std::array::from_fn(|i| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap()))
    };
    let (k, a, r) = (limbs(k), limbs(a), limbs(r));
    let mut wide = [0u128; 9];
    for i in 0..4 {
        for j in 0..4 {
            let p = u128::from(k[i]) * u128::from(a[j]);
            wide[i + j] += p & u128::from(u64::MAX);
            wide[i + j + 1] += p >> 64;
        }
        wide[i] += u128::from(r[i]);
    }
    let mut bytes = Vec::with_capacity(72);
    let mut carry = 0u128;
    for w in wide {
        let v = w + carry;
        bytes.extend_from_slice(&(v as u64).to_le_bytes());
        carry = v >> 64;
    }
    reduce(&bytes)
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

    #[test]
    fn base_point_encodes_as_specified() {
        let mut expected = [0x66u8; 32];
        expected[0] = 0x58;
        assert_eq!(Point::base().encode(), expected);
    }

    #[test]
    fn matches_rfc8032_test_1() {
        // With a 32-byte password, SHA-512(password) is exactly Ed25519's secret expansion.
        let seed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let (_, public) = expand(&seed);
        assert_eq!(
            public.to_vec(),
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
            let (_, public) = expand(password);
            let sig = sign(password, nonce);
            UnparsedPublicKey::new(&ED25519, public)
                .verify(nonce, &sig)
                .expect("ring rejects our signature");
        }
    }

    #[test]
    fn reduces_mod_l() {
        let mut l_bytes = [0u8; 32];
        for (chunk, limb) in l_bytes.chunks_mut(8).zip(L) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        assert_eq!(reduce(&l_bytes), [0; 32]);
        let mut l_plus_5 = l_bytes;
        l_plus_5[0] += 5;
        assert_eq!(reduce(&l_plus_5)[0], 5);
    }
}
