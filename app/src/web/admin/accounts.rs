//! One lecturer account on `/admin/`: create it, edit its details, disable or enable it, make
//! or unmake an administrator (its new password is in `passwords`). Bad input re-renders the
//! form with the message beside the field (400).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Administrator, account};
use crate::auth::access::Ended;
use crate::domain::{Department, Email, FullName, Password, Phone, StaffId, Username};
use crate::model::{Actor, Lecturer, LecturerDetails, NewLecturer};
use crate::store::{Conflict, StoreError, Taken};
use crate::web::forms::FieldErrors;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, flash};

/// The fields of the new-lecturer form, and (without username, staff id and password) of the
/// edit form: kept as typed so a refused form comes back filled in.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct AccountForm {
    username: String,
    full_name: String,
    email: String,
    staff_id: String,
    department: String,
    phone: String,
    password: String,
    admin: Option<String>,
}

const FIELDS: [&str; 7] = ["username", "full_name", "email", "staff_id", "department", "phone", "password"];

fn errors_view(errors: &FieldErrors) -> std::collections::BTreeMap<&'static str, Option<String>> {
    FIELDS.iter().chain(&["action"]).map(|f| (*f, errors.first(f).map(str::to_owned))).collect()
}

/// The editable details, with each field's error recorded.
fn details(form: &AccountForm, errors: &mut FieldErrors) -> Option<LecturerDetails> {
    let full_name = errors.check("full_name", FullName::parse(&form.full_name));
    let email = errors.check("email", Email::parse(&form.email));
    let department = errors.check("department", Department::parse(&form.department));
    let phone = match form.phone.trim() {
        "" => Some(None),
        phone => errors.check("phone", Phone::parse(phone)).map(Some),
    };
    Some(LecturerDetails { full_name: full_name?, email: email?, department: department?, phone: phone? })
}

#[derive(Serialize)]
struct NewView {
    section: &'static str,
    form: AccountForm,
    errors: std::collections::BTreeMap<&'static str, Option<String>>,
    min_password: usize,
}

fn render_new(
    state: &AppState,
    auth: &Auth,
    mut form: AccountForm,
    errors: &FieldErrors,
) -> Result<Response, AppError> {
    form.password.clear();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let view = NewView {
        section: "lecturers",
        form,
        errors: errors_view(errors),
        min_password: Password::MIN_CHARS,
    };
    let page = state.templates().render("admin_lecturer_new", &auth.layout("New lecturer"), &view)?;
    Ok((status, Html(page)).into_response())
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    render_new(&state, &auth, AccountForm::default(), &FieldErrors::default())
}

/// Creates the account with a temporary password (the lecturer chooses their own at the first
/// login), validated exactly as `attendance lecturer add` validates.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Administrator(actor): Administrator,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&form.username));
    let staff_id = errors.check("staff_id", StaffId::parse(&form.staff_id));
    let details = details(&form, &mut errors);
    let password = errors.check("password", Password::parse(&form.password));
    let (Some(username), Some(staff_id), Some(details), Some(password)) =
        (username, staff_id, details, password)
    else {
        return render_new(&state, &auth, form, &errors);
    };
    let new = NewLecturer {
        username,
        full_name: details.full_name,
        email: details.email,
        staff_id,
        department: details.department,
        phone: details.phone,
        password_hash: state.password_gate().hash(&password).await?,
        admin: form.admin.is_some(),
        must_change_password: true,
    };
    match state.store().create_lecturer(&new, &actor).await {
        Ok(created) => {
            tracing::warn!(target: "security", event = "account_created", username = %created.username, by = %auth.username);
            let text = format!(
                "Created {} ({}). Give them the temporary password; they choose their own at the first login.",
                created.full_name, created.username
            );
            Ok(flash::redirect(
                &state,
                &format!("/admin/lecturers/{}/", created.username),
                flash::Kind::Success,
                &text,
            ))
        }
        Err(StoreError::AlreadyExists(Taken::StaffId)) => {
            errors.add("staff_id", format!("Staff id {} already belongs to another lecturer.", new.staff_id));
            render_new(&state, &auth, form, &errors)
        }
        Err(StoreError::AlreadyExists(_)) => {
            errors.add("username", format!("The username {} is taken.", new.username));
            render_new(&state, &auth, form, &errors)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct AccountView {
    section: &'static str,
    username: String,
    staff_id: String,
    active: bool,
    admin: bool,
    temporary_password: bool,
    created: String,
    is_me: bool,
    form: AccountForm,
    errors: std::collections::BTreeMap<&'static str, Option<String>>,
    units: Vec<UnitLink>,
    reset_hours: i64,
    min_password: usize,
}

#[derive(Serialize)]
struct UnitLink {
    code: String,
    name: String,
    archived: bool,
}

pub(super) async fn render_account(
    state: &AppState,
    auth: &Auth,
    lecturer: &Lecturer,
    form: Option<AccountForm>,
    errors: &FieldErrors,
) -> Result<Response, AppError> {
    let units = state.store().units_of(&lecturer.username).await?;
    let form = form.unwrap_or_else(|| AccountForm {
        full_name: lecturer.full_name.to_string(),
        email: lecturer.email.as_str().to_owned(),
        department: lecturer.department.to_string(),
        phone: lecturer.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        ..AccountForm::default()
    });
    let tz = &state.settings().timezone;
    let view = AccountView {
        section: "lecturers",
        username: lecturer.username.to_string(),
        staff_id: lecturer.staff_id.to_string(),
        active: lecturer.active,
        admin: lecturer.admin,
        temporary_password: lecturer.must_change_password,
        created: lecturer
            .created_at
            .map(|t| t.to_zoned(tz.clone()).strftime("%-d %b %Y").to_string())
            .unwrap_or_default(),
        is_me: lecturer.username == auth.username,
        form: AccountForm { password: String::new(), ..form },
        errors: errors_view(errors),
        units: units
            .into_iter()
            .map(|u| UnitLink { code: u.code.to_string(), name: u.name.to_string(), archived: u.archived })
            .collect(),
        reset_hours: super::RESET_LINK_HOURS,
        min_password: Password::MIN_CHARS,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let title = format!("{} ({})", lecturer.full_name, lecturer.username);
    let page = state.templates().render("admin_lecturer", &auth.layout(title), &view)?;
    Ok((status, Html(page)).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let lecturer = account(&state, &username).await?;
    render_account(&state, &auth, &lecturer, None, &FieldErrors::default()).await
}

pub async fn edit(
    State(state): State<AppState>,
    auth: Auth,
    Administrator(actor): Administrator,
    Path(username): Path<String>,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let lecturer = account(&state, &username).await?;
    let mut errors = FieldErrors::default();
    let Some(details) = details(&form, &mut errors) else {
        return render_account(&state, &auth, &lecturer, Some(form), &errors).await;
    };
    state.store().edit_lecturer(&lecturer.username, &details, &actor).await?;
    let to = format!("/admin/lecturers/{}/", lecturer.username);
    Ok(flash::redirect(&state, &to, flash::Kind::Success, "Details saved."))
}

#[derive(Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    value: String,
}

/// The store's refusal to leave the department without an active administrator, shown on the
/// account's page (400).
async fn refused_last_admin(
    state: &AppState,
    auth: &Auth,
    lecturer: &Lecturer,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    errors.add(
        "action",
        "This is the last active administrator: make another lecturer an administrator first.",
    );
    render_account(state, auth, lecturer, None, &errors).await
}

/// `POST /admin/lecturers/<username>/active/` (disable, ending every session, or enable) and
/// `.../role/` (grant or take the administrator role); any other switch is not found.
pub async fn switch(
    State(state): State<AppState>,
    auth: Auth,
    Administrator(actor): Administrator,
    Path((username, switch)): Path<(String, String)>,
    Form(form): Form<ChoiceForm>,
) -> Result<Response, AppError> {
    let flag = match switch.as_str() {
        "active" => AccountFlag::Active,
        "role" => AccountFlag::Admin,
        _ => return Err(AppError::NotFound),
    };
    set_flag(&state, &auth, &actor, &username, &form, flag).await
}

/// The two switches of an account's page.
#[derive(Debug, Clone, Copy)]
enum AccountFlag {
    Active,
    Admin,
}

impl AccountFlag {
    fn of(self, lecturer: &Lecturer) -> bool {
        match self {
            Self::Active => lecturer.active,
            Self::Admin => lecturer.admin,
        }
    }

    fn event(self, on: bool) -> &'static str {
        match (self, on) {
            (Self::Active, true) => "account_enabled",
            (Self::Active, false) => "account_disabled",
            (Self::Admin, true) => "admin_granted",
            (Self::Admin, false) => "admin_revoked",
        }
    }

    fn done(self, username: &Username, on: bool, ended: usize) -> String {
        match (self, on) {
            (Self::Active, true) => format!("{username} can log in again."),
            (Self::Active, false) => {
                format!(
                    "{username} is disabled; {ended} login session(s) ended. Their units and records stay."
                )
            }
            (Self::Admin, true) => format!("{username} is now a department administrator."),
            (Self::Admin, false) => format!("{username} is no longer an administrator."),
        }
    }
}

/// Turns `flag` of `username` on or off, as the form's value says; repeating it changes
/// nothing, and the last active administrator keeps both.
async fn set_flag(
    state: &AppState,
    auth: &Auth,
    actor: &Actor,
    username: &str,
    form: &ChoiceForm,
    flag: AccountFlag,
) -> Result<Response, AppError> {
    let lecturer = account(state, username).await?;
    let on = super::flag(&form.value)?;
    let to = format!("/admin/lecturers/{}/", lecturer.username);
    if flag.of(&lecturer) == on {
        return Ok(flash::redirect(state, &to, flash::Kind::Info, "Nothing to change."));
    }
    let store = state.store();
    let changed = match flag {
        AccountFlag::Active => store.set_lecturer_active(&lecturer.username, on, actor).await,
        AccountFlag::Admin => store.set_lecturer_admin(&lecturer.username, on, actor).await.map(|()| 0),
    };
    let ended = match changed {
        Err(StoreError::Conflict(Conflict::LastAdministrator)) => {
            return refused_last_admin(state, auth, &lecturer).await;
        }
        other => other?,
    };
    if matches!(flag, AccountFlag::Active) && !on {
        state.access().end(Ended::Account(lecturer.username.clone()));
    }
    tracing::warn!(target: "security", event = flag.event(on), username = %lecturer.username, sessions_ended = ended, by = %auth.username);
    Ok(flash::redirect(state, &to, flash::Kind::Success, &flag.done(&lecturer.username, on, ended)))
}
