//! A unit's class list for a term: `/unit/<code>/class-list/` shows it and takes a file (see
//! `import` for the preview and its confirmation), and exports it as CSV.

mod import;

pub use import::{import, preview};

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

use super::{TermQuery, chosen_term};
use crate::domain::Term;
use crate::model::{ClassList, Unit};
use crate::web::csv::Csv;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, owned};

use self::import::PreviewView;

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
        term_query: super::term_query(term),
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
