//! `attendance lecturer ...`: accounts are created by an administrator, not by sign-up.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::Console;
use crate::auth::password::hash_password;
use crate::config::{Vars, firestore_from};
use crate::domain::{Department, Email, FullName, Password, Phone, StaffId, Username};
use crate::model::{Actor, NewLecturer};
use crate::store::{Store, StoreError, Taken};

#[derive(Debug, Subcommand)]
pub enum LecturerCommand {
    /// Create a lecturer account (the password is prompted for, or read from stdin).
    Add(AddArgs),
    /// Replace a lecturer's password.
    SetPassword(SetPasswordArgs),
    /// Stop a lecturer from logging in; their units and sessions stay.
    Disable(UsernameArg),
    /// Allow a disabled lecturer to log in again.
    Enable(UsernameArg),
    /// Make a lecturer a department administrator.
    SetAdmin(UsernameArg),
    /// Take the administrator role away (never from the last administrator).
    UnsetAdmin(UsernameArg),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Login name: 3–32 letters, digits, '.', '_' or '-', starting with a letter.
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub full_name: String,
    #[arg(long)]
    pub email: String,
    /// Staff number, unique per lecturer (e.g. STF/0042).
    #[arg(long)]
    pub staff_id: String,
    #[arg(long)]
    pub department: String,
    #[arg(long)]
    pub phone: Option<String>,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// Make the account a department administrator (the first one is made this way).
    #[arg(long)]
    pub admin: bool,
    /// The password is temporary: the lecturer must choose their own at the first login.
    #[arg(long)]
    pub temporary: bool,
}

#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    #[arg(long)]
    pub username: String,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// The password is temporary: the lecturer must choose their own at the next login.
    #[arg(long)]
    pub temporary: bool,
}

#[derive(Debug, Args)]
pub struct UsernameArg {
    #[arg(long)]
    pub username: String,
}

pub async fn run(command: LecturerCommand, vars: &Vars, console: &mut Console<'_>) -> anyhow::Result<()> {
    let store = Store::connect(&firestore_from(vars)?).await?;
    match command {
        LecturerCommand::Add(args) => {
            let new = parse_new_lecturer(&args, console).await?;
            let created = store.create_lecturer(&new, &Actor::CommandLine).await.map_err(|e| match e {
                StoreError::AlreadyExists(Taken::Username) => {
                    anyhow::anyhow!("username {} is already taken", new.username)
                }
                StoreError::AlreadyExists(Taken::StaffId) => {
                    anyhow::anyhow!("staff id {} already belongs to another lecturer", new.staff_id)
                }
                other => anyhow::Error::new(other).context("saving the lecturer"),
            })?;
            writeln!(console.stdout, "Created lecturer {} ({}).", created.username, created.full_name)?;
        }
        LecturerCommand::SetPassword(args) => {
            let username = Username::parse(&args.username)?;
            let password = read_password(args.password_stdin, console)?;
            let hash = hash_password(&password).await?;
            // Whoever knew the old password is logged out everywhere, by the store itself.
            let ended = match store.set_password(&username, &hash, args.temporary, &Actor::CommandLine).await
            {
                Err(StoreError::NotFound) => bail!("no lecturer is called {username}"),
                other => other.context("saving the password")?,
            };
            tracing::warn!(target: "security", event = "password_changed", username = %username, sessions_ended = ended, by = "cli");
            writeln!(console.stdout, "Password changed for {username}; {ended} login session(s) ended.")?;
        }
        LecturerCommand::Disable(arg) => set_active(&store, &arg.username, false, console).await?,
        LecturerCommand::Enable(arg) => set_active(&store, &arg.username, true, console).await?,
        LecturerCommand::SetAdmin(arg) => set_admin(&store, &arg.username, true, console).await?,
        LecturerCommand::UnsetAdmin(arg) => set_admin(&store, &arg.username, false, console).await?,
    }
    Ok(())
}

async fn set_active(
    store: &Store,
    username: &str,
    active: bool,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let username = Username::parse(username)?;
    let ended = match store.set_lecturer_active(&username, active, &Actor::CommandLine).await {
        Err(StoreError::NotFound) => bail!("no lecturer is called {username}"),
        Err(StoreError::Conflict(crate::store::Conflict::LastAdministrator)) => {
            bail!("{username} is the last active administrator; make another one first")
        }
        other => other.context("saving the account")?,
    };
    let event = if active { "account_enabled" } else { "account_disabled" };
    tracing::warn!(target: "security", event, username = %username, sessions_ended = ended, by = "cli");
    if active {
        writeln!(console.stdout, "Lecturer {username} enabled.")?;
    } else {
        writeln!(console.stdout, "Lecturer {username} disabled; {ended} login session(s) ended.")?;
    }
    Ok(())
}

async fn set_admin(
    store: &Store,
    username: &str,
    admin: bool,
    console: &mut Console<'_>,
) -> anyhow::Result<()> {
    let username = Username::parse(username)?;
    match store.set_lecturer_admin(&username, admin, &Actor::CommandLine).await {
        Err(StoreError::NotFound) => bail!("no lecturer is called {username}"),
        Err(StoreError::Conflict(crate::store::Conflict::LastAdministrator)) => {
            bail!("{username} is the last administrator; make another one first")
        }
        other => other.context("saving the account")?,
    }
    let event = if admin { "admin_granted" } else { "admin_revoked" };
    tracing::warn!(target: "security", event, username = %username, by = "cli");
    let now = if admin { "is now an administrator" } else { "is no longer an administrator" };
    writeln!(console.stdout, "Lecturer {username} {now}.")?;
    Ok(())
}

async fn parse_new_lecturer(args: &AddArgs, console: &mut Console<'_>) -> anyhow::Result<NewLecturer> {
    let username = Username::parse(&args.username).context("--username")?;
    let full_name = FullName::parse(&args.full_name).context("--full-name")?;
    let email = Email::parse(&args.email).context("--email")?;
    let staff_id = StaffId::parse(&args.staff_id).context("--staff-id")?;
    let department = Department::parse(&args.department).context("--department")?;
    let phone = args.phone.as_deref().map(Phone::parse).transpose().context("--phone")?;
    let password = read_password(args.password_stdin, console)?;
    let password_hash = hash_password(&password).await?;
    Ok(NewLecturer {
        username,
        full_name,
        email,
        staff_id,
        department,
        phone,
        password_hash,
        admin: args.admin,
        must_change_password: args.temporary,
    })
}

/// The new password from stdin's first line, or prompted twice without echo.
fn read_password(from_stdin: bool, console: &mut Console<'_>) -> anyhow::Result<Password> {
    if from_stdin {
        let mut line = String::new();
        console.stdin.read_line(&mut line).context("reading the password from stdin")?;
        return Ok(Password::parse(line.trim_end_matches(['\r', '\n']))?);
    }
    if !console.interactive {
        bail!("stdin is not a terminal: pass --password-stdin and pipe the password in");
    }
    let first = rpassword::prompt_password("New password (at least 10 characters): ")?;
    let password = Password::parse(&first)?;
    let again = rpassword::prompt_password("Repeat the password: ")?;
    if again != first {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(password)
}
