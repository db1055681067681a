//! The published trace of RFC 8448 §3, "Simple 1-RTT Handshake": the messages and the shared
//! secret the key schedule and the byte view are checked against. The messages are handshake
//! messages with their 4-byte headers (what the transcript hash covers); the ClientHello is also
//! kept as the complete record the client sent.

use super::crypto::{hmac, sha256, unhex};

/// The ClientHello record (201 bytes: a 5-byte record header, then the 196-byte message).
pub const CLIENT_HELLO_RECORD: &str = "\
16 03 01 00 c4 01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12
ec 18 a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73
65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01
04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0
6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03
02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00
02 40 01";

/// The ServerHello record (95 bytes).
pub const SERVER_HELLO_RECORD: &str = "\
16 03 03 00 5a 02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14
34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66
76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04";

/// The server's encrypted flight, decrypted: EncryptedExtensions, Certificate,
/// CertificateVerify, Finished.
const ENCRYPTED_EXTENSIONS: &str =
    "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000";
const CERTIFICATE: &str = "0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de10000";
const CERTIFICATE_VERIFY: &str = "0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3";
/// The verify_data of the server's Finished (`14 00 00 20` + these 32 bytes).
pub const SERVER_FINISHED_VERIFY: &str = "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";

/// The x25519 shared secret both sides computed.
pub const SHARED_SECRET: &str = "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d";

pub fn shared_secret() -> Vec<u8> {
    unhex(SHARED_SECRET).expect("hex")
}

/// The handshake messages in transcript order, up to and including the server's Finished.
pub fn messages() -> Vec<Vec<u8>> {
    let record = |r: &str| unhex(r).expect("hex")[5..].to_vec();
    let mut finished = unhex("14000020").expect("hex");
    finished.extend(unhex(SERVER_FINISHED_VERIFY).expect("hex"));
    vec![
        record(CLIENT_HELLO_RECORD),
        record(SERVER_HELLO_RECORD),
        unhex(ENCRYPTED_EXTENSIONS).expect("hex"),
        unhex(CERTIFICATE).expect("hex"),
        unhex(CERTIFICATE_VERIFY).expect("hex"),
        finished,
    ]
}

/// Hash(ClientHello..ServerHello) and Hash(ClientHello..server Finished).
pub fn transcript_hashes() -> ([u8; 32], [u8; 32]) {
    let m = messages();
    (sha256(&m[..2].concat()), sha256(&m.concat()))
}

/// HMAC(finished_key, Hash(ClientHello..CertificateVerify)): what the server's Finished carries.
pub fn server_finished_verify_data(finished_key: &[u8]) -> [u8; 32] {
    hmac(finished_key, &sha256(&messages()[..5].concat()))
}
