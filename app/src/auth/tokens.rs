//! Random tokens and HMAC signatures. Every signature names its purpose, so a value signed for
//! one use (a flash message) can never be replayed as another (a QR token).

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
