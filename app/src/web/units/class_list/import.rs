//! A class-list file's preview and its confirmation. The upload answers with a preview (how
//! many rows to add, to update, already listed and rejected, with the first of each) and
//! nothing is written until the lecturer confirms a preview without rejects. The file is kept
//! server-side (see `store::uploads`) under an id the confirmation carries, with a signed
//! digest of the file and of the list it was previewed against: a list that changed in
//! between is previewed again instead of written, and a confirmation sent twice (a double
//! click, a second tab) gets the first one's answer.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Row, Shown, render};
use crate::auth::tokens::sha256_hex;
use crate::domain::Term;
use crate::model::{ClassList, ImportPlan, Unit, class_csv};
use crate::store::docs::ids;
use crate::store::{Conflict, StoreError, UploadId};
use crate::web::guard::Auth;
use crate::web::units::{TermQuery, chosen_term, term_query};
use crate::web::{AppError, AppState, flash, owned};

/// Rows to add or update shown in a preview (the counts say how many there are).
const SHOWN_ROWS: usize = 100;
/// Rejected rows shown: enough to see what is wrong with a file.
const SHOWN_REJECTED: usize = 20;
const SEAL: &str = "class-list-preview";

/// What a preview vouches for: this upload (its text's hash) against this list's content,
/// signed so the confirmation cannot carry anything that was not previewed.
fn previewed(list: &ClassList, upload: &UploadId, text_sha256: &str) -> String {
    let mut content = String::new();
    for s in list.students.values() {
        let email = s.email.as_ref().map_or("", |e| e.as_str());
        content.push_str(&format!("{}\u{1f}{}\u{1f}{email}\u{1e}", s.admission_number, s.name));
    }
    format!("{}|{}|{text_sha256}", sha256_hex(&content), upload.as_str())
}

#[derive(Serialize)]
struct Update {
    admission_number: String,
    before: String,
    after: String,
}

#[derive(Serialize)]
struct Rejected {
    line: usize,
    text: String,
    reason: String,
}

#[derive(Serialize)]
struct Counts {
    add: usize,
    update: usize,
    rejected: usize,
}

#[derive(Serialize)]
pub(super) struct PreviewView {
    counts: Counts,
    add: Vec<Row>,
    more_add: usize,
    update: Vec<Update>,
    more_update: usize,
    unchanged: usize,
    rejected: Vec<Rejected>,
    more_rejected: usize,
    can_apply: bool,
    /// Why the preview is shown again instead of the import done.
    notice: Option<String>,
    upload: String,
    digest: String,
}

impl PreviewView {
    fn new(plan: &ImportPlan, upload: &UploadId, digest: String, notice: Option<String>) -> Self {
        let describe = |s: &crate::model::Enrolled| match &s.email {
            Some(email) => format!("{} <{}>", s.name, email.as_str()),
            None => s.name.to_string(),
        };
        let more = |shown: usize, all: usize| all.saturating_sub(shown);
        Self {
            counts: Counts { add: plan.add.len(), update: plan.update.len(), rejected: plan.rejected.len() },
            add: plan.add.iter().take(SHOWN_ROWS).map(Row::of).collect(),
            more_add: more(SHOWN_ROWS, plan.add.len()),
            update: plan
                .update
                .iter()
                .take(SHOWN_ROWS)
                .map(|(old, new)| Update {
                    admission_number: new.admission_number.to_string(),
                    before: describe(old),
                    after: describe(new),
                })
                .collect(),
            more_update: more(SHOWN_ROWS, plan.update.len()),
            unchanged: plan.unchanged,
            rejected: plan
                .rejected
                .iter()
                .take(SHOWN_REJECTED)
                .map(|r| Rejected { line: r.line, text: r.text.clone(), reason: r.reason.clone() })
                .collect(),
            more_rejected: more(SHOWN_REJECTED, plan.rejected.len()),
            can_apply: plan.can_apply(),
            notice,
            upload: upload.as_str().to_owned(),
            digest,
        }
    }
}

/// The class list an upload belongs to.
fn list_id(unit: &Unit, term: Term) -> String {
    ids::unit_term(&unit.code, term)
}

/// The upload: kept, and previewed; nothing written to the list.
pub async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<TermQuery>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let term = chosen_term(&state, &auth, &unit.code, &query).await?;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(unreadable)?);
        }
    }
    let (list, _) = state.store().class_list(&unit.code, term).await?;
    let Some(bytes) = file.filter(|f| !f.is_empty()) else {
        let problem = Shown::Problem("Choose a CSV file to import.".to_owned());
        return render(&state, &auth, (&unit, term, &list), problem, StatusCode::BAD_REQUEST);
    };
    // Refused whole (too large, too many rows, not UTF-8, no header) before anything is kept.
    let parsed = match class_csv::parse(&bytes) {
        Ok(parsed) => parsed,
        Err(problem) => {
            return render(
                &state,
                &auth,
                (&unit, term, &list),
                Shown::Problem(problem),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    // `parse` read it as UTF-8.
    let text = String::from_utf8_lossy(&bytes);
    let sha = sha256_hex(&text);
    let now = state.clock().now();
    let upload = state.store().stage_upload(&auth.username, &list_id(&unit, term), &text, &sha, now).await?;
    respond_with_plan(&state, &auth, (&unit, term, &list), parsed, (&upload, &sha), None)
}

fn unreadable(e: axum::extract::multipart::MultipartError) -> AppError {
    AppError::BadRequest(format!(
        "The upload could not be read ({}). A class list file is at most 2 MB; choose the file again.",
        e.body_text()
    ))
}

/// The preview of `parsed` against `list`, signed for `upload`.
fn respond_with_plan(
    state: &AppState,
    auth: &Auth,
    (unit, term, list): (&Unit, Term, &ClassList),
    (rows, rejected): class_csv::ParsedRows,
    (upload, sha): (&UploadId, &str),
    notice: Option<String>,
) -> Result<Response, AppError> {
    let plan = ImportPlan::new(list, rows, rejected);
    let status = if notice.is_some() {
        StatusCode::CONFLICT
    } else if plan.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let seal = state.signer().sign(SEAL, &previewed(list, upload, sha));
    let preview = PreviewView::new(&plan, upload, seal, notice);
    render(state, auth, (unit, term, list), Shown::Preview(preview), status)
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    upload: String,
    #[serde(default)]
    digest: String,
}

const CHANGED: &str = "The class list changed since this preview (another tab, or a student added from a session): check the preview again before importing.";
const EXPIRED: &str = "This preview has expired (a file is kept for an hour). Choose the file again.";

/// The confirmation of a preview: the same file applied to the same list, in one commit.
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<TermQuery>,
    Form(form): Form<ImportForm>,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let term = chosen_term(&state, &auth, &unit.code, &query).await?;
    let back = format!("/unit/{}/class-list/{}", unit.code, term_query(term));
    let store = state.store();
    let (list, version) = store.class_list(&unit.code, term).await?;
    let now = state.clock().now();
    let found = match UploadId::parse(&form.upload) {
        Some(id) => store.upload(&id, &auth.username, &list_id(&unit, term), now).await?.map(|u| (id, u)),
        None => None,
    };
    let Some((id, upload)) = found else {
        return render(
            &state,
            &auth,
            (&unit, term, &list),
            Shown::Problem(EXPIRED.into()),
            StatusCode::BAD_REQUEST,
        );
    };
    if let Some(done) = &upload.applied {
        // Confirmed already (a double click, another tab): the same answer.
        return Ok(flash::redirect(&state, &back, flash::Kind::Success, done));
    }
    let parsed = class_csv::parse(upload.text.as_bytes()).map_err(AppError::BadRequest)?;
    if !state.signer().verify(SEAL, &previewed(&list, &id, &upload.sha256), &form.digest) {
        let notice = Some(CHANGED.to_owned());
        return respond_with_plan(&state, &auth, (&unit, term, &list), parsed, (&id, &upload.sha256), notice);
    }
    let plan = ImportPlan::new(&list, parsed.0.clone(), parsed.1.clone());
    if !plan.rejected.is_empty() {
        return respond_with_plan(&state, &auth, (&unit, term, &list), parsed, (&id, &upload.sha256), None);
    }
    if !plan.can_apply() {
        let text = "The class list already matches this file; nothing changed.";
        return Ok(flash::redirect(&state, &back, flash::Kind::Info, text));
    }
    let done = format!("Class list saved: {} added, {} updated.", plan.add.len(), plan.update.len());
    match store.save_class_list(&unit.code, term, &plan.applied_to(&list), &version, Some((&id, &done))).await
    {
        Ok(()) => Ok(flash::redirect(&state, &back, flash::Kind::Success, &done)),
        Err(StoreError::Conflict(Conflict::Contention)) => {
            // Lost to another commit: this same confirmation (then its answer), or a change.
            let again = store.upload(&id, &auth.username, &list_id(&unit, term), now).await?;
            if let Some(done) = again.and_then(|u| u.applied) {
                return Ok(flash::redirect(&state, &back, flash::Kind::Success, &done));
            }
            let (list, _) = store.class_list(&unit.code, term).await?;
            let notice = Some(CHANGED.to_owned());
            respond_with_plan(&state, &auth, (&unit, term, &list), parsed, (&id, &upload.sha256), notice)
        }
        Err(StoreError::Conflict(Conflict::ListTooLarge)) => {
            let problem = Shown::Problem(Conflict::ListTooLarge.to_string());
            render(&state, &auth, (&unit, term, &list), problem, StatusCode::BAD_REQUEST)
        }
        Err(e) => Err(e.into()),
    }
}
