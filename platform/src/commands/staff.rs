//! `civitas staff token ...`: API tokens for staff accounts.
use provisioning::auth::{Scope, Scopes};
use provisioning::staff::{create_staff, create_token, StaffEmail};
use provisioning::Actor;

use crate::cli::{StaffCommand, TokenArgs};
use crate::runtime::Database;
use crate::settings::Settings;

pub fn run(settings: &Settings, command: StaffCommand) -> anyhow::Result<()> {
    match command {
        StaffCommand::Create { email } => invite(settings, &email),
        StaffCommand::Token(args) => issue_token(settings, &args),
    }
}

fn invite(settings: &Settings, email: &str) -> anyhow::Result<()> {
    let email = StaffEmail::parse(email)?;
    let database = Database::open(settings)?;
    let invitation = create_staff(&database.db, &email, &Actor::cli())?;
    println!("http://{}/setup/{}", settings.provisioning_addr, invitation.setup_token);
    eprintln!(
        "setup link for {email}: it works once, until {}; open it to choose a password and link an authenticator app",
        invitation.expires_at
    );
    Ok(())
}

fn issue_token(settings: &Settings, args: &TokenArgs) -> anyhow::Result<()> {
    let email = StaffEmail::parse(&args.email)?;
    let scopes = Scopes::from_granted(args.scopes.iter().map(|s| Scope::parse(s)).collect::<Result<Vec<_>, _>>()?)?;
    let database = Database::open(settings)?;
    let token =
        create_token(&database.db, &email, &args.name, scopes, chrono::Duration::days(args.days), &Actor::cli())?;
    println!("{}", token.secret);
    eprintln!("token {:?} for {email} ({scopes}), expires {}; it is shown only this once", args.name, token.expires_at);
    Ok(())
}
