//! The landing page.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use super::templates::Layout;
use super::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let layout = Layout::public("QR attendance");
    Ok(Html(state.templates().render("home", &layout, &())?))
}
