//! `/admin/report/`: the department's term at a glance. Per unit: lectures held, students,
//! average attendance and students at risk, on the same attendance rule and at-risk threshold
//! as the unit's own page; a bar chart of the averages; and the same table as CSV.
//!
//! Cost: per unit, its sessions, marks and class list of the term (the unit page's reads), so
//! a department of 40 units of 100 students and 12 lectures reads about 50,000 documents per
//! view: an office report opened now and then, not a page to poll.

use axum::extract::{Query, State};
use axum::response::{Html, Response};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::domain::{AcademicYear, Semester, Term};
use crate::model::{TermTally, Unit};
use crate::web::csv::Csv;
use crate::web::guard::Auth;
use crate::web::units::matrix::UnitTerm;
use crate::web::units::{TermQuery, term_query, this_years_first_term};
use crate::web::view::TermLink;
use crate::web::{AppError, AppState};

/// Units read at once: enough to hide latency, few enough not to burst Firestore.
const CONCURRENT_UNITS: usize = 4;

/// One unit's term.
#[derive(Debug, Clone, Serialize)]
pub struct UnitLine {
    code: String,
    name: String,
    lecturer: String,
    archived: bool,
    held: usize,
    students: usize,
    /// Attended marks over (lectures held × students), one decimal; `None` before any lecture.
    average: Option<String>,
    average_value: f64,
    at_risk: usize,
    risk_threshold: u8,
}

fn term_of(state: &AppState, query: &TermQuery) -> Result<Term, AppError> {
    Ok(match query.asked()? {
        Some(term) => term,
        None => this_years_first_term(state)?,
    })
}

async fn unit_line(state: &AppState, unit: Unit, term: Term) -> Result<Option<UnitLine>, AppError> {
    let read = UnitTerm::read(state.store(), unit, term).await?;
    if read.sessions.is_empty() && read.list.is_empty() {
        return Ok(None);
    }
    let tally = TermTally::of(
        &read.sessions,
        &read.records,
        &read.list,
        state.clock().now(),
        &state.settings().timezone,
    );
    let unit = read.unit;
    let average = tally.average();
    let average_value = average.unwrap_or(0.0);
    Ok(Some(UnitLine {
        code: unit.code.to_string(),
        name: unit.name.to_string(),
        lecturer: unit.lecturer.to_string(),
        archived: unit.archived,
        held: tally.held(),
        students: tally.students.len(),
        average: average.map(|a| format!("{a:.1}")),
        average_value,
        at_risk: tally.at_risk(unit.risk_threshold),
        risk_threshold: unit.risk_threshold.percent(),
    }))
}

/// Every unit with lectures or a class list in `term`, by code.
async fn lines(state: &AppState, term: Term) -> Result<Vec<UnitLine>, AppError> {
    let units = state.store().all_units().await?;
    let lines: Vec<Option<UnitLine>> = futures::stream::iter(units)
        .map(|unit| unit_line(state, unit, term))
        .buffered(CONCURRENT_UNITS)
        .try_collect()
        .await?;
    Ok(lines.into_iter().flatten().collect())
}

/// Horizontal bars of each unit's average attendance, 0–100 %, as inline SVG.
fn chart_svg(lines: &[UnitLine]) -> String {
    const ROW: usize = 26;
    const LABEL: usize = 110;
    const BAR_MAX: usize = 400;
    let height = lines.len().max(1) * ROW + 24;
    let width = LABEL + BAR_MAX + 60;
    let summary: Vec<String> =
        lines.iter().map(|l| format!("{}: {}%", l.code, l.average.as_deref().unwrap_or("none"))).collect();
    let mut svg = format!(
        r#"<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="Average attendance per unit. {}"><title>Average attendance per unit</title>"#,
        summary.join(", ")
    );
    for (i, line) in lines.iter().enumerate() {
        let y = i * ROW + 4;
        let bar = (line.average_value.clamp(0.0, 100.0) / 100.0 * BAR_MAX as f64).round() as usize;
        let class = if line.at_risk > 0 { "bar bar-risk" } else { "bar" };
        svg.push_str(&format!(
            r#"<text x="0" y="{ty}" class="label">{code}</text><rect class="{class}" x="{LABEL}" y="{y}" width="{bar}" height="{h}"/><text x="{tx}" y="{ty}" class="value">{value}</text>"#,
            ty = y + 15,
            code = line.code,
            h = ROW - 8,
            tx = LABEL + bar + 6,
            value = line.average.as_deref().map_or("–".to_owned(), |a| format!("{a}%")),
        ));
    }
    let axis = height - 16;
    svg.push_str(&format!(
        r#"<line class="axis" x1="{LABEL}" y1="{axis}" x2="{end}" y2="{axis}"/><text x="{LABEL}" y="{t}" class="tick">0%</text><text x="{end}" y="{t}" class="tick" text-anchor="end">100%</text></svg>"#,
        end = LABEL + BAR_MAX,
        t = height - 2,
    ));
    svg
}

#[derive(Serialize)]
struct ReportView {
    section: &'static str,
    term: String,
    csv_href: String,
    term_links: Vec<TermLink>,
    lines: Vec<UnitLine>,
    unit_count: usize,
    held: usize,
    at_risk: usize,
    chart_svg: String,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<TermQuery>,
) -> Result<Html<String>, AppError> {
    let term = term_of(&state, &query)?;
    let lines = lines(&state, term).await?;
    let years = [term.year.first_year() - 1, term.year.first_year()];
    let term_links = years
        .into_iter()
        .filter_map(|y| AcademicYear::starting(y).ok())
        .flat_map(|year| [Semester::One, Semester::Two].map(|semester| Term { year, semester }))
        .map(|t| TermLink {
            label: format!("{} S{}", t.year, t.semester),
            href: format!("/admin/report/{}", term_query(t)),
            current: t == term,
        })
        .collect();
    let view = ReportView {
        section: "report",
        term: term.to_string(),
        csv_href: format!("/admin/report.csv{}", term_query(term)),
        term_links,
        unit_count: lines.len(),
        held: lines.iter().map(|l| l.held).sum(),
        at_risk: lines.iter().map(|l| l.at_risk).sum(),
        chart_svg: chart_svg(&lines),
        lines,
    };
    Ok(Html(state.templates().render("admin_report", &auth.layout("Department report"), &view)?))
}

pub async fn csv(
    State(state): State<AppState>,
    Query(query): Query<TermQuery>,
) -> Result<Response, AppError> {
    let term = term_of(&state, &query)?;
    let mut csv = Csv::default();
    csv.row([
        "Unit",
        "Name",
        "Lecturer",
        "Academic year",
        "Semester",
        "Lectures held",
        "Students",
        "Average attendance %",
        "Students at risk",
        "At-risk threshold %",
    ]);
    for line in lines(&state, term).await? {
        csv.row([
            line.code,
            line.name,
            line.lecturer,
            term.year.to_string(),
            term.semester.to_string(),
            line.held.to_string(),
            line.students.to_string(),
            line.average.unwrap_or_default(),
            line.at_risk.to_string(),
            line.risk_threshold.to_string(),
        ]);
    }
    Ok(csv.into_download(&format!("department_{}.csv", term.file_stem())))
}
