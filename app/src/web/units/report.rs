//! The unit page of a term: its chart, sessions, students at risk, and the student × lecture
//! matrix a hundred students at a time; and their CSV exports.

use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use serde::{Deserialize, Serialize};

use super::matrix::{self, Matrix, StudentRow, UnitTerm};
use super::{TermQuery, chosen_term, term_query};
use crate::domain::{AcademicYear, Semester, Term};
use crate::model::MarkStatus;
use crate::web::csv::Csv;
use crate::web::guard::Auth;
use crate::web::view::{SessionSummary, TermLink};
use crate::web::{AppError, AppState, owned};

/// Students per page of the matrix: a 1,000-student unit stays a page a phone can render.
pub const PAGE_SIZE: usize = 100;

#[derive(Serialize)]
struct PageLink {
    number: usize,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct UnitView {
    code: String,
    name: String,
    description: String,
    archived: bool,
    risk_threshold: u8,
    term: String,
    term_query: String,
    term_links: Vec<TermLink>,
    sessions: Vec<SessionSummary>,
    chart_svg: String,
    lectures: Vec<matrix::Lecture>,
    expected_lessons: u32,
    held: usize,
    at_risk: Vec<StudentRow>,
    at_risk_count: usize,
    students: Vec<StudentRow>,
    students_count: usize,
    class_list_count: usize,
    pages: Vec<PageLink>,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(flatten)]
    term: TermQuery,
    /// Kept as text: numbers inside a flattened query do not parse.
    page: Option<String>,
}

/// Everything the page and the exports show: the owner's unit's term and its matrix.
async fn unit_data(
    state: &AppState,
    auth: &Auth,
    code: &str,
    query: &TermQuery,
) -> Result<(UnitTerm, Matrix), AppError> {
    let unit = owned::unit(state, auth, code).await?;
    let term = chosen_term(state, auth, &unit.code, query).await?;
    let read = UnitTerm::read(state.store(), unit, term).await?;
    let matrix = read.matrix(state.clock().now(), &state.settings().timezone);
    Ok((read, matrix))
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
    let (read, matrix) = unit_data(&state, &auth, &code, &query.term).await?;
    let UnitTerm { unit, term, sessions, list, .. } = read;
    let class_list_count = list.len();
    let mut term_links = Vec::new();
    for year in [
        AcademicYear::starting(term.year.first_year() - 1),
        Ok(term.year),
        AcademicYear::starting(term.year.first_year() + 1),
    ]
    .into_iter()
    .flatten()
    {
        for semester in [Semester::One, Semester::Two] {
            let t = Term { year, semester };
            term_links.push(TermLink {
                label: format!("{year} S{semester}"),
                href: format!("/unit/{}/{}", unit.code, term_query(t)),
                current: t == term,
            });
        }
    }
    let counts: std::collections::HashMap<u8, usize> =
        matrix.lectures.iter().map(|l| (l.number, l.count)).collect();
    let (now, tz) = (state.clock().now(), &state.settings().timezone);
    let students_count = matrix.students.len();
    let page_count = students_count.div_ceil(PAGE_SIZE).max(1);
    let current = query.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1).clamp(1, page_count);
    let Matrix { lectures, students, expected_lessons, held, .. } = matrix;
    let at_risk: Vec<StudentRow> = students.iter().filter(|s| s.at_risk).cloned().collect();
    let view = UnitView {
        code: unit.code.to_string(),
        name: unit.name.to_string(),
        description: unit.description.as_str().to_owned(),
        archived: unit.archived,
        risk_threshold: unit.risk_threshold.percent(),
        term: term.to_string(),
        term_query: term_query(term),
        term_links,
        sessions: sessions
            .iter()
            .map(|s| SessionSummary::new(s, counts.get(&s.number.get()).map(|c| *c as u64), now, tz))
            .collect(),
        chart_svg: matrix::chart_svg(&lectures),
        lectures,
        expected_lessons,
        held,
        at_risk_count: at_risk.len(),
        at_risk,
        students: students.into_iter().skip((current - 1) * PAGE_SIZE).take(PAGE_SIZE).collect(),
        students_count,
        class_list_count,
        pages: (1..=page_count)
            .filter(|_| page_count > 1)
            .map(|n| PageLink {
                number: n,
                href: format!("/unit/{}/{}&page={n}#matrix-title", unit.code, term_query(term)),
                current: n == current,
            })
            .collect(),
    };
    let title = format!("{} {}", unit.code, unit.name);
    Ok(Html(state.templates().render("unit", &auth.layout(title), &view)?))
}

/// One letter per lecture in the CSV: P present, L late, E excused, A absent, blank no mark.
fn letter(status: Option<MarkStatus>) -> &'static str {
    match status {
        Some(MarkStatus::Present) => "P",
        Some(MarkStatus::Late) => "L",
        Some(MarkStatus::Excused) => "E",
        Some(MarkStatus::Absent) => "A",
        None => "",
    }
}

pub async fn export_matrix(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<TermQuery>,
) -> Result<Response, AppError> {
    let (UnitTerm { unit, term, .. }, matrix) = unit_data(&state, &auth, &code, &query).await?;
    let mut csv = Csv::default();
    let mut header = vec!["Admission number".to_owned(), "Name".to_owned()];
    header.extend(matrix.lectures.iter().map(|l| format!("{} ({})", l.label, l.date)));
    header.extend([
        "Attended".to_owned(),
        format!("% of {}", matrix.expected_lessons),
        "% of held".to_owned(),
    ]);
    csv.row(header);
    for student in &matrix.students {
        let mut row = vec![student.admission_number.clone(), student.name.clone()];
        row.extend(student.statuses.iter().map(|s| letter(*s).to_owned()));
        row.extend([
            student.attended.to_string(),
            student.percentage.clone(),
            student.percentage_of_held.clone(),
        ]);
        csv.row(row);
    }
    let filename = format!("{}_{}_attendance.csv", unit.code, term.file_stem());
    Ok(csv.into_download(&filename))
}

pub async fn export_at_risk(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<TermQuery>,
) -> Result<Response, AppError> {
    let (UnitTerm { unit, term, .. }, matrix) = unit_data(&state, &auth, &code, &query).await?;
    let mut csv = Csv::default();
    csv.row(["Admission number", "Name", "Attended", "Held", "% of held", "Threshold %"]);
    for student in matrix.students.iter().filter(|s| s.at_risk) {
        csv.row([
            student.admission_number.clone(),
            student.name.clone(),
            student.attended.to_string(),
            matrix.held.to_string(),
            student.percentage_of_held.clone(),
            unit.risk_threshold.to_string(),
        ]);
    }
    let filename = format!("{}_{}_at_risk.csv", unit.code, term.file_stem());
    Ok(csv.into_download(&filename))
}
