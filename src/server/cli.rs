//! The `roster` command line: serve (default), migrate, bootstrap-admin.

use crate::domain::{Email, NewPassword};
use crate::server::auth::password::{generate_password, hash_blocking};
use crate::server::config::Config;
use crate::server::db::{self, users};
use crate::server::http;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "roster",
    version,
    about = "Who belongs to which workspace, with which role."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the app (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Create the first platform admin, with a default organization and workspace. Without
    /// --generate-password or --password-stdin, the admin is invited and signs in with Google.
    BootstrapAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Generate a one-time password, printed once as `password: <value>`; it must be
        /// changed at first sign-in.
        #[arg(long, conflicts_with = "password_stdin")]
        generate_password: bool,
        /// Read the password from standard input (it must be changed at first sign-in).
        #[arg(long)]
        password_stdin: bool,
        /// Run even when a platform admin already exists.
        #[arg(long)]
        force: bool,
    },
}

pub async fn run() -> ExitCode {
    let _ = dotenvy::dotenv();
    crate::server::logging::init();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("roster: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => http::connect_and_migrate(&config)
            .await
            .map(|_| println!("migrations applied"))
            .map_err(|e| e.to_string()),
        Command::BootstrapAdmin {
            email,
            name,
            generate_password,
            password_stdin,
            force,
        } => {
            bootstrap_admin(
                config,
                &email,
                &name,
                generate_password,
                password_stdin,
                force,
            )
            .await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("roster: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let state = http::build_state(config).await.map_err(|e| e.to_string())?;
    http::serve(state).await.map_err(|e| e.to_string())
}

async fn bootstrap_admin(
    config: Config,
    email: &str,
    name: &str,
    generate: bool,
    password_stdin: bool,
    force: bool,
) -> Result<(), String> {
    let email = Email::parse(email).map_err(|e| format!("--email: {e}"))?;
    let password = if generate {
        Some(generate_password())
    } else if password_stdin {
        let mut raw = String::new();
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(|e| format!("reading the password: {e}"))?;
        let raw = raw.trim_end_matches(['\r', '\n']).to_string();
        NewPassword::parse(&raw).map_err(|e| format!("password: {e}"))?;
        Some(raw)
    } else {
        None
    };
    let db = http::connect_and_migrate(&config)
        .await
        .map_err(|e| e.to_string())?;
    if !force
        && users::count_platform_admins(&db)
            .await
            .map_err(|e| e.to_string())?
            > 0
    {
        return Err(
            "a platform admin already exists; nothing was changed (use --force to add another)"
                .into(),
        );
    }
    if !force
        && crate::server::db::invites::pending_platform_admin_invitations(&db, db::now())
            .await
            .map_err(|e| e.to_string())?
            > 0
    {
        return Err(
            "a platform-admin invitation is already pending; nothing was changed (use --force to add another)"
                .into(),
        );
    }
    if password.is_none() {
        // First admin by Google: an invitation, accepted at their first Google sign-in.
        if users::find_credentials_by_email(&db, email.as_str())
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err(format!("{email} is already a user; pass --generate-password --force to make them platform admin"));
        }
        let expires = config.invite_lifetime.as_secs() as i64 + db::now();
        let (_token, hash) = crate::server::tokens::new_token();
        let ws =
            crate::server::db::invites::bootstrap_invitation(&db, email.as_str(), expires, &hash)
                .await
                .map_err(|e| e.to_string())?;
        db.close().await;
        println!("invitation created for {email} as platform admin (workspace {ws})");
        println!(
            "sign in with Google as {email} within {} days",
            config.invite_lifetime.as_secs() / 86_400
        );
        if config.oidc.is_none() {
            println!("note: Google sign-in is not configured yet: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET");
        }
        return Ok(());
    }
    let hash = match &password {
        Some(p) => {
            let p = p.clone();
            Some(
                tokio::task::spawn_blocking(move || hash_blocking(&p))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?,
            )
        }
        None => None,
    };
    let expires = config.temp_password_lifetime.as_secs() as i64 + db::now();
    let done = users::bootstrap_admin(
        &db,
        &users::BootstrapAdmin {
            email: email.as_str(),
            name,
            password_hash: hash.as_deref(),
            must_change_password: true,
            temp_password_expires_at: hash.as_ref().map(|_| expires),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    db.close().await;
    println!(
        "platform admin {} {} (workspace {})",
        email,
        if done.created_user {
            "created"
        } else {
            "promoted"
        },
        done.workspace_id
    );
    if generate {
        if let Some(p) = password {
            println!("password: {p}");
        }
    }
    Ok(())
}
