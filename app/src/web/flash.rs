//! One-shot messages that survive a redirect ("Unit CS101 created."), carried in a signed
//! cookie so any app instance can show them.

use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderMap;

use super::AppState;
use super::cookies::{self, SetCookie};
use super::templates::Flash;
use crate::auth::tokens::Signer;

const PURPOSE: &str = "flash";

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Success,
    Info,
    Error,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Info => "info",
            Self::Error => "error",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Self::Success),
            "info" => Some(Self::Info),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// The cookie that shows `text` on the next page.
pub fn set(signer: &Signer, kind: Kind, text: &str, secure: bool) -> SetCookie {
    let payload = format!("{}-{}", kind.as_str(), URL_SAFE_NO_PAD.encode(text.as_bytes()));
    SetCookie::new(cookies::FLASH, signer.seal(PURPOSE, &payload), secure).max_age(120)
}

/// A redirect to `to` that shows `text` on arrival: how every lecturer action ends.
pub fn redirect(state: &AppState, to: &str, kind: Kind, text: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    set(state.signer(), kind, text, state.settings().base_url.is_https()).apply(response.headers_mut());
    response
}

/// The message waiting in the request's cookie, if any (a tampered one is ignored).
pub fn read(state: &AppState, headers: &HeaderMap) -> Vec<Flash> {
    let Some(sealed) = cookies::get(headers, cookies::FLASH, state.secure_cookies()) else {
        return Vec::new();
    };
    let Some(payload) = state.signer().open(PURPOSE, sealed) else {
        return Vec::new();
    };
    let parsed = payload.split_once('-').and_then(|(kind, text)| {
        let kind = Kind::parse(kind)?;
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        Some(Flash { kind: kind.as_str(), text })
    });
    parsed.into_iter().collect()
}
