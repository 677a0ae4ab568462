//! Random tokens and HMAC signatures. Every signature names its purpose, so a value signed for
//! one use (a flash message) can never be replayed as another (a QR token).

use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::SecretKey;

/// 256 random bits, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // getrandom only fails without an OS entropy source, where nothing secure can run.
    getrandom::fill(&mut bytes).expect("the OS random number generator is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256: how a session token is stored, so a database leak yields no usable cookie.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality for secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// HMAC-SHA256 signer keyed by `SECRET_KEY`.
#[derive(Clone, Debug)]
pub struct Signer {
    key: SecretKey,
}

impl Signer {
    pub fn new(key: SecretKey) -> Self {
        Self { key }
    }

    fn mac(&self, purpose: &str, payload: &str) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose()).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(payload.as_bytes());
        mac
    }

    /// The signature of `payload` for `purpose`, URL-safe base64.
    pub fn sign(&self, purpose: &str, payload: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, payload).finalize().into_bytes())
    }

    /// The raw signature, for a caller that writes it in another notation (and truncates it).
    pub fn tag(&self, purpose: &str, payload: &str) -> [u8; 32] {
        self.mac(purpose, payload).finalize().into_bytes().into()
    }

    pub fn verify(&self, purpose: &str, payload: &str, signature: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(signature) {
            Ok(tag) => self.mac(purpose, payload).verify_slice(&tag).is_ok(),
            Err(_) => false,
        }
    }

    /// `payload.signature`, for values carried in cookies and form fields.
    pub fn seal(&self, purpose: &str, payload: &str) -> String {
        format!("{payload}.{}", self.sign(purpose, payload))
    }

    /// The payload of a sealed value, if the signature is valid.
    pub fn open<'a>(&self, purpose: &str, sealed: &'a str) -> Option<&'a str> {
        let (payload, signature) = sealed.rsplit_once('.')?;
        self.verify(purpose, payload, signature).then_some(payload)
    }

    /// The key of an encryption purpose, derived from `SECRET_KEY` so no second secret exists.
    fn aead_key(&self, purpose: &str) -> Option<LessSafeKey> {
        let key = self.mac("encrypt", purpose).finalize().into_bytes();
        UnboundKey::new(&CHACHA20_POLY1305, &key).ok().map(LessSafeKey::new)
    }

    /// `plaintext` encrypted and authenticated (ChaCha20-Poly1305, random nonce), bound to
    /// `context`: an opaque URL-safe value that only this app can read or make.
    pub fn encrypt(&self, purpose: &str, context: &str, plaintext: &[u8]) -> Option<String> {
        let key = self.aead_key(purpose)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).ok()?;
        let mut data = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context.as_bytes()),
            &mut data,
        )
        .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The plaintext of [`Signer::encrypt`]'s value, if it is intact and made for `context`.
    pub fn decrypt(&self, purpose: &str, context: &str, token: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = sealed.to_vec();
        let key = self.aead_key(purpose)?;
        let plain = key.open_in_place(nonce, Aad::from(context.as_bytes()), &mut data).ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer::new(SecretKey::parse("0123456789abcdef0123456789abcdef").expect("key"))
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn encrypted_values_hide_their_content_and_open_only_in_their_context() {
        let token = signer().encrypt("receipt", "session-1", b"Jane Doe ADM/2023/001").expect("sealed");
        assert!(!token.contains("Jane") && !token.contains("ADM"));
        assert_eq!(
            signer().decrypt("receipt", "session-1", &token).as_deref(),
            Some(&b"Jane Doe ADM/2023/001"[..])
        );
        assert_eq!(signer().decrypt("receipt", "session-2", &token), None, "bound to its context");
        assert_eq!(signer().decrypt("other", "session-1", &token), None, "and to its purpose");
        assert_eq!(Signer::new(SecretKey::random()).decrypt("receipt", "session-1", &token), None);
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            signer().decrypt("receipt", "session-1", &String::from_utf8(tampered).expect("ascii")),
            None
        );
        assert_ne!(
            token,
            signer().encrypt("receipt", "session-1", b"Jane Doe ADM/2023/001").expect("sealed")
        );
    }

    #[test]
    fn seals_open_only_for_their_purpose_and_key() {
        let sealed = signer().seal("flash", "hello");
        assert_eq!(signer().open("flash", &sealed), Some("hello"));
        assert_eq!(signer().open("qr", &sealed), None, "purpose is part of the MAC");
        let other = Signer::new(SecretKey::random());
        assert_eq!(other.open("flash", &sealed), None);
        assert_eq!(signer().open("flash", &sealed.replace("hello", "hellp")), None);
        assert_eq!(signer().open("flash", "no-signature"), None);
        assert_eq!(signer().open("flash", "x.!!!"), None);
    }

    #[test]
    fn secrets_compare_in_constant_time_semantics() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
