//! The Handlebars registry: templates embedded in the binary, strict mode on, so a field a
//! template names but the context lacks is an error (caught by tests), not a blank.

use handlebars::{Handlebars, handlebars_helper};
use serde::Serialize;

use super::AppError;

/// `(name, source)` of every template; partials are registered the same way.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/layout.hbs")),
    ("home", include_str!("../../templates/home.hbs")),
    ("error", include_str!("../../templates/error.hbs")),
    ("login", include_str!("../../templates/login.hbs")),
    ("logout", include_str!("../../templates/logout.hbs")),
    ("account_password", include_str!("../../templates/account_password.hbs")),
    ("admin_lecturers", include_str!("../../templates/admin_lecturers.hbs")),
    ("dashboard", include_str!("../../templates/dashboard.hbs")),
    ("unit_form", include_str!("../../templates/unit_form.hbs")),
    ("unit_fields", include_str!("../../templates/unit_fields.hbs")),
    ("unit", include_str!("../../templates/unit.hbs")),
    ("class_list", include_str!("../../templates/class_list.hbs")),
    ("unit_edit", include_str!("../../templates/unit_edit.hbs")),
    ("unit_student", include_str!("../../templates/unit_student.hbs")),
    ("session_form", include_str!("../../templates/session_form.hbs")),
    ("session", include_str!("../../templates/session.hbs")),
    ("session_header", include_str!("../../templates/session_header.hbs")),
    ("session_rows", include_str!("../../templates/session_rows.hbs")),
    ("session_row", include_str!("../../templates/session_row.hbs")),
    ("absent_row", include_str!("../../templates/absent_row.hbs")),
    ("session_counts", include_str!("../../templates/session_counts.hbs")),
    ("live_fragment", include_str!("../../templates/live_fragment.hbs")),
    ("session_edit", include_str!("../../templates/session_edit.hbs")),
    ("mark", include_str!("../../templates/mark.hbs")),
    ("attend_form", include_str!("../../templates/attend_form.hbs")),
    ("attend_problem", include_str!("../../templates/attend_problem.hbs")),
    ("attend_result", include_str!("../../templates/attend_result.hbs")),
    ("attend_pending", include_str!("../../templates/attend_pending.hbs")),
    ("present", include_str!("../../templates/present.hbs")),
    ("admin_nav", include_str!("../../templates/admin_nav.hbs")),
    ("admin_audit", include_str!("../../templates/admin_audit.hbs")),
    ("admin_audit_table", include_str!("../../templates/admin_audit_table.hbs")),
    ("admin_details_fields", include_str!("../../templates/admin_details_fields.hbs")),
    ("admin_lecturer", include_str!("../../templates/admin_lecturer.hbs")),
    ("admin_lecturer_new", include_str!("../../templates/admin_lecturer_new.hbs")),
    ("admin_reset_link", include_str!("../../templates/admin_reset_link.hbs")),
    ("admin_units", include_str!("../../templates/admin_units.hbs")),
    ("admin_report", include_str!("../../templates/admin_report.hbs")),
    ("password_reset", include_str!("../../templates/password_reset.hbs")),
];

#[derive(Clone)]
pub struct Templates {
    registry: std::sync::Arc<Handlebars<'static>>,
    asset_version: String,
}

impl Templates {
    pub fn new() -> Result<Self, handlebars::TemplateError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_dev_mode(false);
        handlebars_helper!(eq: |a: Json, b: Json| a == b);
        registry.register_helper("eq", Box::new(eq));
        for (name, source) in TEMPLATES {
            registry.register_template_string(name, source)?;
        }
        Ok(Self { registry: std::sync::Arc::new(registry), asset_version: super::assets::version() })
    }

    /// Renders `name` with `page`, plus the shared `layout` data.
    pub fn render<T: Serialize>(&self, name: &str, layout: &Layout, page: &T) -> Result<String, AppError> {
        #[derive(Serialize)]
        struct Context<'a, T> {
            layout: &'a Layout,
            page: &'a T,
            asset_version: &'a str,
        }
        self.registry
            .render(name, &Context { layout, page, asset_version: &self.asset_version })
            .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering {name}: {e}")))
    }
}

/// What the shared layout shows around every page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Layout {
    pub title: String,
    /// The signed-in lecturer, for the navigation; `None` on public pages.
    pub lecturer: Option<LayoutLecturer>,
    pub csrf_token: Option<String>,
    pub flashes: Vec<Flash>,
    /// Student pages skip the lecturer stylesheet to stay light on a phone.
    pub light: bool,
    /// Whether the page needs the dashboard script (`/static/app.js`).
    pub script: bool,
}

impl Layout {
    pub fn public(title: impl Into<String>) -> Self {
        Self { title: title.into(), ..Self::default() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LayoutLecturer {
    pub username: String,
    pub full_name: String,
    /// Shows the department administration link.
    pub admin: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Flash {
    /// `success`, `info` or `error`: the CSS class.
    pub kind: &'static str,
    pub text: String,
}
