//! The HTTP client for the university's Portal API, and what each kind of answer means.

use std::time::Duration;

use serde::Serialize;

use attendance::model::MarkStatus;

use super::queue::Action;
use crate::config::PortalConfig;

/// What the Portal receives: the original system's payload plus what happened to the mark.
#[derive(Debug, Clone, Serialize, PartialEq, serde::Deserialize)]
pub struct PortalRecord {
    pub action: Action,
    /// The mark's status: `present`, `late`, `excused` or `absent` (on a removal, the status it
    /// had). Absent only from removals queued before statuses were sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<MarkStatus>,
    pub student_name: String,
    pub admission_number: String,
    pub unit_code: String,
    /// The lecture's date, `2025-09-01`.
    pub date: String,
    /// When the student marked, local time `08:03:12`.
    pub time: String,
    pub lecturer: String,
    pub venue: String,
    /// The percentage the student was shown when marking, two decimals.
    pub attendance_percentage: f64,
}

/// How one answer (or its absence) is handled.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// 2xx.
    Delivered,
    /// 408, 409, 425, 429, 5xx, time-outs, connection errors: try again later (no sooner than
    /// the Portal's `Retry-After`, when it gave one).
    Retry { after: Option<Duration> },
    /// 400, 404, 422 and other 4xx: the Portal will never take this record.
    Refused,
    /// 3xx: the URL is wrong; nothing is followed and no attempt counts.
    Redirected { location: String },
    /// 401, 403: the credentials are wrong; no attempt counts.
    Unauthorized,
}

/// One attempt's result, as stored for audit.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub verdict: Verdict,
    pub status_code: Option<i32>,
    pub response: Option<serde_json::Value>,
    pub error: Option<String>,
}

enum Auth {
    None,
    Bearer(String),
    /// A Google-signed ID token for the Portal's audience (refreshed by the library).
    IdToken(firestore::gcloud_sdk::GoogleAuthHeaders),
}

pub struct Portal {
    client: reqwest::Client,
    pub(crate) config: PortalConfig,
    auth: Auth,
}

const MAX_AUDIT_BODY: usize = 16 * 1024;
/// A `Retry-After` longer than this is taken as this: a record must not sleep for weeks.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

pub fn classify(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Verdict {
    let code = status.as_u16();
    match code {
        200..=299 => Verdict::Delivered,
        300..=399 => Verdict::Redirected {
            location: headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no Location header)")
                .to_owned(),
        },
        401 | 403 => Verdict::Unauthorized,
        408 | 409 | 425 | 429 | 500..=599 => Verdict::Retry { after: retry_after(headers) },
        400..=499 => Verdict::Refused,
        _ => Verdict::Retry { after: None },
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value).ok()?.duration_since(std::time::SystemTime::now()).ok()?,
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

impl Portal {
    pub async fn new(config: PortalConfig) -> anyhow::Result<Self> {
        let auth = match (&config.audience, &config.token) {
            (Some(audience), _) => {
                let audience = firestore::gcloud_sdk::IdTokenAudience::new(audience.clone());
                Auth::IdToken(firestore::gcloud_sdk::GoogleAuthHeaders::id_token_from_adc(&audience).await?)
            }
            (None, Some(token)) => Auth::Bearer(token.clone()),
            (None, None) => Auth::None,
        };
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            // A redirect turns the POST into a GET whose 200 would look like a delivery.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("attendance-reconciler/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, config, auth })
    }

    pub async fn post(&self, idempotency_key: &str, record: &PortalRecord) -> Attempt {
        let mut request =
            self.client.post(&self.config.url).header("Idempotency-Key", idempotency_key).json(record);
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(token) => request = request.bearer_auth(token),
            Auth::IdToken(headers) => match headers.headers().await {
                Ok(headers) => {
                    for (name, value) in headers.iter() {
                        request = request.header(name.as_str(), value.as_bytes());
                    }
                }
                Err(e) => {
                    return Attempt {
                        verdict: Verdict::Unauthorized,
                        status_code: None,
                        response: None,
                        error: Some(format!("no ID token for PORTAL_AUDIENCE: {e}")),
                    };
                }
            },
        }
        match request.send().await {
            Err(e) => Attempt {
                verdict: Verdict::Retry { after: None },
                status_code: None,
                response: None,
                error: Some(describe(&e)),
            },
            Ok(response) => {
                let status = response.status();
                let verdict = classify(status, response.headers());
                let body = match read_capped(response).await {
                    Ok(body) => body,
                    Err(e) => {
                        // The status arrived but the body did not: treat as no answer.
                        return Attempt {
                            verdict: Verdict::Retry { after: None },
                            status_code: Some(i32::from(status.as_u16())),
                            response: None,
                            error: Some(format!("reading the answer: {}", describe(&e))),
                        };
                    }
                };
                let response = audit_body(&body);
                let error = (verdict != Verdict::Delivered).then(|| explain(status, &verdict, &response));
                Attempt {
                    verdict,
                    status_code: Some(i32::from(status.as_u16())),
                    response: Some(response),
                    error,
                }
            }
        }
    }

    /// The delay before the next attempt after `attempts` failures: base × 2^(attempts−1),
    /// capped, with "equal jitter" (between half and all of it) so retries of many records do
    /// not arrive together.
    pub fn backoff(&self, attempts: i32) -> Duration {
        backoff(self.config.backoff_base, self.config.backoff_cap, attempts, jitter())
    }
}

pub(crate) fn backoff(base: Duration, cap: Duration, attempts: i32, jitter: f64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
    let full = base.saturating_mul(2u32.saturating_pow(exponent)).min(cap);
    full / 2 + full.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

fn jitter() -> f64 {
    let mut byte = [0u8; 2];
    let _ = getrandom::fill(&mut byte);
    f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX)
}

/// At most one byte more of the answer than the audit keeps: a Portal (or anything on its
/// path) that streams an endless body costs 16 KiB, not the memory of the pass.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_AUDIT_BODY + 1 - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() > MAX_AUDIT_BODY {
            break;
        }
    }
    Ok(body)
}

/// The answer's body for the audit trail: its JSON, or `{"text": ...}`, cut at 16 KiB, with
/// every NUL removed (PostgreSQL stores none in `text` or `jsonb`, and one must not stop the pass).
fn audit_body(body: &[u8]) -> serde_json::Value {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) if body.len() <= MAX_AUDIT_BODY => without_nuls(json),
        _ => {
            let mut text = String::from_utf8_lossy(&body[..body.len().min(MAX_AUDIT_BODY)]).replace('\0', "");
            if body.len() > MAX_AUDIT_BODY {
                text.push_str("… (cut)");
            }
            serde_json::json!({ "text": text })
        }
    }
}

fn without_nuls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(s.replace('\0', "")),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nuls).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k.replace('\0', ""), without_nuls(v))).collect())
        }
        other => other,
    }
}

/// A failed answer in words, with the Portal's own reason when it gave one.
fn explain(status: reqwest::StatusCode, verdict: &Verdict, body: &serde_json::Value) -> String {
    let reason = ["error", "detail", "message", "reason"]
        .iter()
        .find_map(|k| body.get(k))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .or_else(|| body.get("text").and_then(|t| t.as_str()).map(|t| t.chars().take(200).collect()));
    let head = match verdict {
        Verdict::Redirected { location } => format!("HTTP {status}: the Portal redirected to {location}"),
        _ => format!("HTTP {status}"),
    };
    match reason {
        Some(reason) if !reason.is_empty() => format!("{head}: {reason}"),
        _ => head,
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        error.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn every_answer_class_has_its_verdict() {
        let none = HeaderMap::new();
        for code in [200, 201, 202, 204] {
            assert_eq!(classify(StatusCode::from_u16(code).expect("code"), &none), Verdict::Delivered);
        }
        for code in [408, 409, 425, 429, 500, 502, 503, 504] {
            assert!(matches!(
                classify(StatusCode::from_u16(code).expect("code"), &none),
                Verdict::Retry { .. }
            ));
        }
        for code in [400, 404, 410, 422] {
            assert_eq!(
                classify(StatusCode::from_u16(code).expect("code"), &none),
                Verdict::Refused,
                "{code}"
            );
        }
        for code in [401, 403] {
            assert_eq!(classify(StatusCode::from_u16(code).expect("code"), &none), Verdict::Unauthorized);
        }
        assert_eq!(
            classify(
                StatusCode::MOVED_PERMANENTLY,
                &with("location", "https://portal.example/api/attendance/")
            ),
            Verdict::Redirected { location: "https://portal.example/api/attendance/".into() }
        );
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date_and_bounded() {
        let verdict = classify(StatusCode::TOO_MANY_REQUESTS, &with("retry-after", "120"));
        assert_eq!(verdict, Verdict::Retry { after: Some(Duration::from_secs(120)) });
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
        let Verdict::Retry { after: Some(after) } =
            classify(StatusCode::SERVICE_UNAVAILABLE, &with("retry-after", &later))
        else {
            panic!("a date is a delay");
        };
        assert!(after > Duration::from_secs(590) && after <= Duration::from_secs(600), "{after:?}");
        let huge = classify(StatusCode::SERVICE_UNAVAILABLE, &with("retry-after", "99999999"));
        assert_eq!(huge, Verdict::Retry { after: Some(MAX_RETRY_AFTER) });
        assert_eq!(
            classify(StatusCode::SERVICE_UNAVAILABLE, &with("retry-after", "soon")),
            Verdict::Retry { after: None }
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(60), Duration::from_secs(3 * 3600));
        assert_eq!(backoff(base, cap, 1, 0.0), Duration::from_secs(30));
        assert_eq!(backoff(base, cap, 1, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(base, cap, 3, 1.0), Duration::from_secs(240));
        assert_eq!(backoff(base, cap, 30, 1.0), cap);
        assert_eq!(backoff(base, cap, 30, 0.0), cap / 2);
        let sample = backoff(base, cap, 2, jitter());
        assert!(sample >= Duration::from_secs(60) && sample <= Duration::from_secs(120), "{sample:?}");
    }

    #[test]
    fn refusals_keep_the_portals_reason() {
        let body = serde_json::json!({ "detail": "unknown unit code CS999" });
        assert_eq!(
            explain(StatusCode::UNPROCESSABLE_ENTITY, &Verdict::Refused, &body),
            "HTTP 422 Unprocessable Entity: unknown unit code CS999"
        );
        let long = vec![b'x'; MAX_AUDIT_BODY + 10];
        let kept = audit_body(&long);
        assert!(kept["text"].as_str().expect("text").ends_with("… (cut)"));
    }

    #[test]
    fn no_nul_reaches_the_audit_whether_raw_or_escaped() {
        let escaped = br#"{"detail": "bad\u0000unit", "a\u0000b": ["x\u0000"]}"#;
        assert_eq!(audit_body(escaped), serde_json::json!({ "detail": "badunit", "ab": ["x"] }));
        assert_eq!(audit_body(b"raw\0nul"), serde_json::json!({ "text": "rawnul" }));
    }
}
