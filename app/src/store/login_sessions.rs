//! Lecturer login sessions: `login_sessions/{sha256(token)}`. Only the hash is stored, so a
//! copy of the database holds no cookie that works.

use firestore::FirestoreTimestamp;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::commit::Writes;
use super::docs::{LOGIN_EVENTS, LOGIN_SESSIONS};
use super::{Store, StoreError};
use crate::domain::{Instant, Username};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoginEventDoc {
    /// Its session's token hash (the document's id too).
    session: String,
    lecturer: String,
    /// The client's network as the login throttle sees it: the address, or an IPv6 `/64`.
    network: String,
    #[serde(default)]
    at: Option<FirestoreTimestamp>,
}

/// One login, as the lecturer's account page lists it.
#[derive(Debug, Clone)]
pub struct LoginEvent {
    pub at: Instant,
    pub network: String,
    /// The token hash of its session: the current one is marked.
    pub session: String,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoginSessionDoc {
    lecturer: String,
    full_name: String,
    csrf_token: String,
    /// The account's password is temporary: only the password form is open to this session.
    #[serde(default)]
    must_change_password: bool,
    /// A department administrator when they logged in (for the menu; `/admin/` checks afresh).
    #[serde(default)]
    admin: bool,
    /// Absolute expiry; a Firestore TTL policy on this field can delete old sessions.
    expires_at: FirestoreTimestamp,
    #[serde(default)]
    created_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    last_seen_at: Option<FirestoreTimestamp>,
    /// The account's access epoch at login: the session is dead once the account has another.
    #[serde(default)]
    access_epoch: String,
}

/// A live login: who, their CSRF token, and the times expiry is judged by.
#[derive(Debug, Clone)]
pub struct LoginSession {
    pub lecturer: Username,
    pub full_name: String,
    pub csrf_token: String,
    pub must_change_password: bool,
    pub admin: bool,
    pub expires_at: Instant,
    pub last_seen_at: Option<Instant>,
    pub access_epoch: String,
}

/// What every request's session is checked against: the account's state now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountAccess {
    pub active: bool,
    pub epoch: String,
}

/// The live login sessions an account keeps at most: a new login ends the oldest beyond it.
pub const SESSIONS_PER_ACCOUNT: usize = 10;

/// A login session to create.
#[derive(Debug, Clone)]
pub struct NewLoginSession<'a> {
    /// sha256 of the cookie's token.
    pub token_hash: &'a str,
    pub lecturer: &'a Username,
    pub full_name: &'a str,
    pub csrf_token: &'a str,
    pub must_change_password: bool,
    pub admin: bool,
    pub expires_at: Instant,
    /// Now, by the app's clock: the idle timeout counts from it.
    pub seen_at: Instant,
    /// The account's access epoch as the login read it.
    pub access_epoch: &'a str,
    /// The client's network, for the lecturer's list of recent logins.
    pub network: &'a str,
}

impl Store {
    pub async fn create_login_session(&self, new: &NewLoginSession<'_>) -> Result<(), StoreError> {
        let doc = LoginSessionDoc {
            lecturer: new.lecturer.as_str().to_owned(),
            full_name: new.full_name.to_owned(),
            csrf_token: new.csrf_token.to_owned(),
            must_change_password: new.must_change_password,
            admin: new.admin,
            expires_at: FirestoreTimestamp(new.expires_at),
            created_at: None,
            last_seen_at: Some(FirestoreTimestamp(new.seen_at)),
            access_epoch: new.access_epoch.to_owned(),
        };
        let mut writes = Writes::new(self.db().await?);
        writes.create(LOGIN_SESSIONS, new.token_hash, &doc, &["created_at"])?;
        let event = LoginEventDoc {
            session: new.token_hash.to_owned(),
            lecturer: doc.lecturer.clone(),
            network: new.network.to_owned(),
            at: None,
        };
        writes.create(LOGIN_EVENTS, new.token_hash, &event, &["at"])?;
        writes.commit().await.map(|_| ())
    }

    /// A lecturer's latest logins, newest first.
    pub async fn recent_logins(
        &self,
        lecturer: &Username,
        limit: u32,
    ) -> Result<Vec<LoginEvent>, StoreError> {
        let docs: Vec<LoginEventDoc> =
            super::query::LOGINS_OF_LECTURER.fetch(self, vec![lecturer.as_str().into()], Some(limit)).await?;
        Ok(docs
            .into_iter()
            .filter_map(|e| Some(LoginEvent { at: e.at?.0, network: e.network, session: e.session }))
            .collect())
    }

    pub async fn login_session(&self, token_hash: &str) -> Result<Option<LoginSession>, StoreError> {
        let Some(doc) = self.get_doc::<LoginSessionDoc>(LOGIN_SESSIONS, token_hash).await? else {
            return Ok(None);
        };
        Ok(Some(LoginSession {
            lecturer: Username::parse(&doc.lecturer).map_err(|e| StoreError::corrupt("login session", e))?,
            full_name: doc.full_name,
            csrf_token: doc.csrf_token,
            must_change_password: doc.must_change_password,
            admin: doc.admin,
            expires_at: doc.expires_at.0,
            last_seen_at: doc.last_seen_at.map(|t| t.0),
            access_epoch: doc.access_epoch,
        }))
    }

    /// The account's state a session is judged by (one read); `None` for no such account.
    pub async fn account_access(&self, username: &Username) -> Result<Option<AccountAccess>, StoreError> {
        let doc = self.get_doc::<super::docs::LecturerDoc>(super::docs::LECTURERS, &username.key()).await?;
        Ok(doc.filter(|d| !d.deleted).map(|d| AccountAccess { active: d.active, epoch: d.access_epoch }))
    }

    /// Ends the account's oldest login sessions beyond [`SESSIONS_PER_ACCOUNT`] (after a new
    /// login): however often a password is used, an account's sessions stay few. Reads the
    /// account's sessions (at most the cap and the new one, in steady use).
    pub async fn trim_login_sessions(&self, username: &Username) -> Result<usize, StoreError> {
        let docs: Vec<firestore::FirestoreDocument> = self
            .db()
            .await?
            .fluent()
            .select()
            .from(LOGIN_SESSIONS)
            .filter(|q| q.field("lecturer").eq(username.as_str()))
            .stream_query_with_errors()
            .await?
            .try_collect()
            .await?;
        self.reads().add(docs.len().max(1) as u64);
        if docs.len() <= SESSIONS_PER_ACCOUNT {
            return Ok(0);
        }
        let mut sessions: Vec<(Option<firestore::FirestoreTimestamp>, String)> = docs
            .iter()
            .filter_map(|d| {
                let id = d.name.rsplit('/').next()?.to_owned();
                let doc: Option<LoginSessionDoc> = firestore::FirestoreDb::deserialize_doc_to(d).ok();
                Some((doc.and_then(|s| s.created_at), id))
            })
            .collect();
        // Oldest first (a session whose creation time is missing counts as oldest).
        sessions.sort_by_key(|(created, _)| created.map(|t| t.0));
        let surplus = sessions.len() - SESSIONS_PER_ACCOUNT;
        // A few hundred per commit (Firestore takes 500 writes).
        for chunk in sessions[..surplus].chunks(400) {
            let mut writes = Writes::new(self.db().await?);
            for (_, id) in chunk {
                writes.delete(LOGIN_SESSIONS, id)?;
            }
            writes.commit().await?;
        }
        Ok(surplus)
    }

    /// Records activity at `now` (the app's clock, which the idle timeout is judged by).
    pub async fn touch_login_session(&self, token_hash: &str, now: Instant) -> Result<(), StoreError> {
        #[derive(Serialize)]
        struct Seen {
            last_seen_at: FirestoreTimestamp,
        }
        let mut writes = Writes::new(self.db().await?);
        let seen = Seen { last_seen_at: FirestoreTimestamp(now) };
        writes.update(LOGIN_SESSIONS, token_hash, &seen, &["last_seen_at"], Vec::new())?;
        match writes.commit().await {
            Err(StoreError::NotFound) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Ends the session server-side (logout, expiry). Deleting a missing session is fine.
    pub async fn delete_login_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut writes = Writes::new(self.db().await?);
        writes.delete(LOGIN_SESSIONS, token_hash)?;
        writes.commit().await.map(|_| ())
    }

    /// The ids of the documents of `collection` whose `field` equals `value`.
    pub(super) async fn ids_where(
        &self,
        collection: &str,
        field: &str,
        value: &str,
    ) -> Result<Vec<String>, StoreError> {
        let docs: Vec<firestore::FirestoreDocument> = self
            .db()
            .await?
            .fluent()
            .select()
            .from(collection)
            .filter(|q| q.field(field).eq(value))
            .stream_query_with_errors()
            .await?
            .try_collect()
            .await?;
        self.reads().add(docs.len().max(1) as u64);
        Ok(docs.iter().filter_map(|d| d.name.rsplit('/').next().map(str::to_owned)).collect())
    }
}
