//! SHA-256 (FIPS 180-4), HMAC (RFC 2104), HKDF (RFC 5869) and the TLS 1.3 key schedule
//! (RFC 8446 §7.1), small enough to read and to run in the browser. Checked against RFC 5869's
//! test case 1 and the key schedule of RFC 8448 §3 ("Simple 1-RTT Handshake"): every secret, key
//! and IV, both Finished values, the exporter and resumption master secrets and the ticket's PSK.
//! For learning only: not constant-time, not for real keys.

/// The SHA-256 round constants (FIPS 180-4 §4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

// ANCHOR: hkdf
/// HMAC-SHA256 (RFC 2104): a key longer than the 64-byte block is hashed first.
pub fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).chain(data.iter().copied()).collect();
    let mut outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

/// HKDF-Extract (RFC 5869 §2.2): concentrate input keying material into a pseudorandom key.
pub fn extract(salt: &[u8], ikm: &[u8]) -> [u8; 32] {
    hmac(salt, ikm)
}

/// HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) | info | i), concatenated, cut to `len`.
pub fn expand(prk: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut t: Vec<u8> = Vec::new();
    let mut i = 1u8;
    while out.len() < len {
        let mut input = t.clone();
        input.extend_from_slice(info);
        input.push(i);
        t = hmac(prk, &input).to_vec();
        out.extend_from_slice(&t);
        i += 1;
    }
    out.truncate(len);
    out
}

/// HKDF-Expand-Label (RFC 8446 §7.1): the info is a `HkdfLabel` struct, length (2 bytes),
/// "tls13 " + label (1-byte length), context (1-byte length).
pub fn expand_label(secret: &[u8], label: &str, context: &[u8], len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut info = Vec::new();
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(context.len() as u8);
    info.extend_from_slice(context);
    expand(secret, &info, len)
}

/// Derive-Secret (RFC 8446 §7.1): Expand-Label with the transcript hash as context.
pub fn derive_secret(secret: &[u8], label: &str, transcript_hash: &[u8; 32]) -> [u8; 32] {
    expand_label(secret, label, transcript_hash, 32).try_into().expect("32 bytes")
}
// ANCHOR_END: hkdf

/// Every value of the TLS 1.3 key schedule without a PSK, for a SHA-256 suite with 16-byte keys
/// (TLS_AES_128_GCM_SHA256), in the order RFC 8446 §7.1 derives them.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub early: [u8; 32],
    pub derived_hs: [u8; 32],
    pub handshake: [u8; 32],
    pub client_hs: [u8; 32],
    pub server_hs: [u8; 32],
    pub derived_ms: [u8; 32],
    pub master: [u8; 32],
    pub client_ap: [u8; 32],
    pub server_ap: [u8; 32],
    /// (key, iv) for each direction and phase.
    pub client_hs_key: (Vec<u8>, Vec<u8>),
    pub server_hs_key: (Vec<u8>, Vec<u8>),
    pub client_ap_key: (Vec<u8>, Vec<u8>),
    pub server_ap_key: (Vec<u8>, Vec<u8>),
    pub server_finished_key: Vec<u8>,
}

// ANCHOR: schedule
/// The key schedule from the (EC)DHE shared secret and two transcript hashes: of
/// ClientHello..ServerHello, and of ClientHello..server Finished.
pub fn schedule(shared: &[u8], hello_hash: &[u8; 32], finished_hash: &[u8; 32]) -> Schedule {
    let empty = sha256(b"");
    let early = extract(&[0; 32], &[0; 32]); // no PSK: both salt and key are zeros
    let derived_hs = derive_secret(&early, "derived", &empty);
    let handshake = extract(&derived_hs, shared);
    let client_hs = derive_secret(&handshake, "c hs traffic", hello_hash);
    let server_hs = derive_secret(&handshake, "s hs traffic", hello_hash);
    let derived_ms = derive_secret(&handshake, "derived", &empty);
    let master = extract(&derived_ms, &[0; 32]);
    let client_ap = derive_secret(&master, "c ap traffic", finished_hash);
    let server_ap = derive_secret(&master, "s ap traffic", finished_hash);
    let keys = |s: &[u8]| (expand_label(s, "key", b"", 16), expand_label(s, "iv", b"", 12));
    Schedule {
        client_hs_key: keys(&client_hs),
        server_hs_key: keys(&server_hs),
        client_ap_key: keys(&client_ap),
        server_ap_key: keys(&server_ap),
        server_finished_key: expand_label(&server_hs, "finished", b"", 32),
        early,
        derived_hs,
        handshake,
        client_hs,
        server_hs,
        derived_ms,
        master,
        client_ap,
        server_ap,
    }
}
// ANCHOR_END: schedule

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex digits, ignoring white space and `:`; `None` on anything else or an odd count.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b':').collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::super::rfc8448;
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        unhex(s).unwrap()
    }

    #[test]
    fn sha256_matches_fips_180_examples() {
        assert_eq!(hex(&sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(
            hex(&sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hkdf_matches_rfc_5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = h("000102030405060708090a0b0c");
        let info = h("f0f1f2f3f4f5f6f7f8f9");
        let prk = extract(&salt, &ikm);
        assert_eq!(hex(&prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
        assert_eq!(
            hex(&expand(&prk, &info, 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    /// Every value RFC 8448 §3 prints for the key schedule, from its shared secret and its
    /// handshake messages (the transcript hashes are computed here, not copied).
    #[test]
    fn key_schedule_matches_rfc_8448_section_3() {
        let (hello, finished) = rfc8448::transcript_hashes();
        assert_eq!(hex(&hello), "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
        assert_eq!(hex(&finished), "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13");
        let s = schedule(&rfc8448::shared_secret(), &hello, &finished);
        assert_eq!(hex(&s.early), "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
        assert_eq!(hex(&s.derived_hs), "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
        assert_eq!(hex(&s.handshake), "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
        assert_eq!(hex(&s.client_hs), "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
        assert_eq!(hex(&s.server_hs), "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        assert_eq!(hex(&s.derived_ms), "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4");
        assert_eq!(hex(&s.master), "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919");
        assert_eq!(hex(&s.client_ap), "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5");
        assert_eq!(hex(&s.server_ap), "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643");
        assert_eq!(hex(&s.server_hs_key.0), "3fce516009c21727d0f2e4e86ee403bc");
        assert_eq!(hex(&s.server_hs_key.1), "5d313eb2671276ee13000b30");
        assert_eq!(hex(&s.client_hs_key.0), "dbfaa693d1762c5b666af5d950258d01");
        assert_eq!(hex(&s.client_hs_key.1), "5bd3c71b836e0b76bb73265f");
        assert_eq!(hex(&s.server_ap_key.0), "9f02283b6c9c07efc26bb9f2ac92e356");
        assert_eq!(hex(&s.server_ap_key.1), "cf782b88dd83549aadf1e984");
        assert_eq!(hex(&s.client_ap_key.0), "17422dda596ed5d9acd890e3c63f5051");
        assert_eq!(hex(&s.client_ap_key.1), "5b78923dee08579033e523d9");
        assert_eq!(
            hex(&s.server_finished_key),
            "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"
        );
        // The server's Finished in the trace is HMAC(finished_key, hash(CH..CertificateVerify)).
        assert_eq!(
            hex(&rfc8448::server_finished_verify_data(&s.server_finished_key)),
            rfc8448::SERVER_FINISHED_VERIFY
        );
    }

    /// The rest of §3's schedule: the exporter secret, the client's Finished, the resumption
    /// master secret (over the transcript through the client's Finished) and the ticket's PSK.
    #[test]
    fn finished_exporter_and_resumption_match_rfc_8448_section_3() {
        let (hello, finished) = rfc8448::transcript_hashes();
        let s = schedule(&rfc8448::shared_secret(), &hello, &finished);
        let exp = derive_secret(&s.master, "exp master", &finished);
        assert_eq!(hex(&exp), "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50");
        let client_finished_key = expand_label(&s.client_hs, "finished", b"", 32);
        assert_eq!(
            hex(&client_finished_key),
            "b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4"
        );
        let verify = hmac(&client_finished_key, &finished);
        assert_eq!(hex(&verify), "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61");
        let mut transcript = rfc8448::messages().concat();
        transcript.extend(h("14000020"));
        transcript.extend(verify);
        let through_client_finished = sha256(&transcript);
        assert_eq!(
            hex(&through_client_finished),
            "209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d"
        );
        let res = derive_secret(&s.master, "res master", &through_client_finished);
        assert_eq!(hex(&res), "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c");
        let psk = expand_label(&res, "resumption", &[0, 0], 32); // the ticket's nonce is 00 00
        assert_eq!(hex(&psk), "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3");
    }
}
