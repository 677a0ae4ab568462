//! A unit's class list for a term: `/unit/<code>/class-list/` shows it and takes a file; the
//! upload answers with a preview (rows to add, to update, rejected with their reasons) and
//! nothing is written until the lecturer confirms a preview without rejects. The confirmation
//! carries the file's text and a signed digest of that text and of the list it was previewed
//! against: a list that changed in between, or a text changed after the preview, is previewed
//! again instead of written.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{TermQuery, chosen_term, term_query};
use crate::auth::tokens::sha256_hex;
use crate::domain::Term;
use crate::model::class_csv;
use crate::model::{ClassList, ImportPlan, Unit};
use crate::store::{Conflict, StoreError};
use crate::web::csv::Csv;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, flash, owned};

/// What a preview vouches for: this file's text against this list's content, signed so the
/// confirmation cannot carry anything that was not previewed.
fn previewed(list: &ClassList, csv: &str) -> String {
    let mut text = String::new();
    for s in list.students.values() {
        let email = s.email.as_ref().map_or("", |e| e.as_str());
        text.push_str(&format!("{}\u{1f}{}\u{1f}{email}\u{1e}", s.admission_number, s.name));
    }
    format!("{}|{}", sha256_hex(&text), sha256_hex(csv))
}

const SEAL: &str = "class-list-preview";

#[derive(Serialize)]
struct Row {
    /// The admission number's URL-safe form, for links to the student's page.
    key: String,
    admission_number: String,
    name: String,
    email: String,
}

impl Row {
    fn of(s: &crate::model::Enrolled) -> Self {
        Self {
            key: s.admission_number.key().as_str().to_owned(),
            admission_number: s.admission_number.to_string(),
            name: s.name.to_string(),
            email: s.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct ListView {
    code: String,
    name: String,
    term: String,
    year: String,
    semester: u8,
    term_query: String,
    students: Vec<Row>,
    students_count: usize,
    /// The preview, when a file was sent.
    preview: Option<PreviewView>,
    problem: Option<String>,
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
struct PreviewView {
    counts: Counts,
    add: Vec<Row>,
    update: Vec<Update>,
    unchanged: usize,
    rejected: Vec<Rejected>,
    can_apply: bool,
    /// Sent back on confirmation.
    csv: String,
    digest: String,
}

impl PreviewView {
    fn new(plan: &ImportPlan, csv: String, digest: String) -> Self {
        let describe = |s: &crate::model::Enrolled| match &s.email {
            Some(email) => format!("{} <{}>", s.name, email.as_str()),
            None => s.name.to_string(),
        };
        Self {
            counts: Counts { add: plan.add.len(), update: plan.update.len(), rejected: plan.rejected.len() },
            add: plan.add.iter().map(Row::of).collect(),
            update: plan
                .update
                .iter()
                .map(|(old, new)| Update {
                    admission_number: new.admission_number.to_string(),
                    before: describe(old),
                    after: describe(new),
                })
                .collect(),
            unchanged: plan.unchanged,
            rejected: plan
                .rejected
                .iter()
                .map(|r| Rejected { line: r.line, text: r.text.clone(), reason: r.reason.clone() })
                .collect(),
            can_apply: plan.can_apply(),
            csv,
            digest,
        }
    }
}

/// What the page shows besides the list: nothing, a preview, or why a file was refused.
enum Shown {
    List,
    Preview(PreviewView),
    Problem(String),
}

fn render(
    state: &AppState,
    auth: &Auth,
    (unit, term, list): (&Unit, Term, &ClassList),
    shown: Shown,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (preview, problem) = match shown {
        Shown::List => (None, None),
        Shown::Preview(preview) => (Some(preview), None),
        Shown::Problem(problem) => (None, Some(problem)),
    };
    let view = ListView {
        code: unit.code.to_string(),
        name: unit.name.to_string(),
        term: term.to_string(),
        year: term.year.to_string(),
        semester: term.semester.number(),
        term_query: term_query(term),
        students: list.by_name().into_iter().map(Row::of).collect(),
        students_count: list.len(),
        preview,
        problem,
    };
    let title = format!("Class list · {} {}", unit.code, term);
    let page = state.templates().render("class_list", &auth.layout(title), &view)?;
    Ok((status, Html(page)).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<TermQuery>,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let term = chosen_term(&state, &auth, &unit.code, &query).await?;
    let (list, _) = state.store().class_list(&unit.code, term).await?;
    render(&state, &auth, (&unit, term, &list), Shown::List, StatusCode::OK)
}

/// The upload: a preview, nothing written.
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
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        if field.name() == Some("file") {
            file = Some(
                field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?,
            );
        }
    }
    let (list, _) = state.store().class_list(&unit.code, term).await?;
    let bytes = file.filter(|f| !f.is_empty());
    let Some(bytes) = bytes else {
        let problem = Shown::Problem("Choose a CSV file to import.".to_owned());
        return render(&state, &auth, (&unit, term, &list), problem, StatusCode::BAD_REQUEST);
    };
    respond_with_plan(&state, &auth, &unit, term, &list, &bytes).await
}

async fn respond_with_plan(
    state: &AppState,
    auth: &Auth,
    unit: &Unit,
    term: Term,
    list: &ClassList,
    bytes: &[u8],
) -> Result<Response, AppError> {
    let (rows, rejected) = match class_csv::parse(bytes) {
        Ok(parsed) => parsed,
        Err(problem) => {
            return render(state, auth, (unit, term, list), Shown::Problem(problem), StatusCode::BAD_REQUEST);
        }
    };
    let plan = ImportPlan::new(list, rows, rejected);
    let status = if plan.rejected.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let text = String::from_utf8_lossy(bytes).into_owned();
    let seal = state.signer().sign(SEAL, &previewed(list, &text));
    let preview = PreviewView::new(&plan, text, seal);
    render(state, auth, (unit, term, list), Shown::Preview(preview), status)
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
    #[serde(default)]
    digest: String,
}

/// The confirmation of a preview: the same file applied to the same list, in one write.
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<TermQuery>,
    Form(form): Form<ImportForm>,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let term = chosen_term(&state, &auth, &unit.code, &query).await?;
    let (list, version) = state.store().class_list(&unit.code, term).await?;
    if !state.signer().verify(SEAL, &previewed(&list, &form.csv), &form.digest) {
        // The list changed since the preview (another tab, a one-click add), or the text is
        // not the one previewed: preview what would be written now.
        return respond_with_plan(&state, &auth, &unit, term, &list, form.csv.as_bytes()).await;
    }
    let (rows, rejected) = match class_csv::parse(form.csv.as_bytes()) {
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
    let plan = ImportPlan::new(&list, rows, rejected);
    if !plan.rejected.is_empty() {
        return respond_with_plan(&state, &auth, &unit, term, &list, form.csv.as_bytes()).await;
    }
    let back = format!("/unit/{}/class-list/{}", unit.code, term_query(term));
    if !plan.can_apply() {
        return Ok(flash::redirect(
            &state,
            &back,
            flash::Kind::Info,
            "The class list already matches this file; nothing changed.",
        ));
    }
    match state.store().save_class_list(&unit.code, term, &plan.applied_to(&list), version).await {
        Ok(()) => {}
        Err(StoreError::Conflict(Conflict::Contention)) => {
            let (list, _) = state.store().class_list(&unit.code, term).await?;
            return respond_with_plan(&state, &auth, &unit, term, &list, form.csv.as_bytes()).await;
        }
        Err(e) => return Err(e.into()),
    }
    let text = format!("Class list saved: {} added, {} updated.", plan.add.len(), plan.update.len());
    Ok(flash::redirect(&state, &back, flash::Kind::Success, &text))
}

/// The list as CSV, in the format the import reads.
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<TermQuery>,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let term = chosen_term(&state, &auth, &unit.code, &query).await?;
    let (list, _) = state.store().class_list(&unit.code, term).await?;
    let mut csv = Csv::default();
    csv.row(["admission_number", "name", "email"]);
    for s in list.by_name() {
        csv.row([s.admission_number.as_str(), s.name.as_str(), s.email.as_ref().map_or("", |e| e.as_str())]);
    }
    let filename = format!("{}_{}_class_list.csv", unit.code, term.file_stem());
    Ok(csv.into_download(&filename))
}
