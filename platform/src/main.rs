//! The `civitas` command.
use std::process::ExitCode;

use clap::Parser;
use platform::cli::{Cli, Command};
use platform::{commands, resolve_settings, settings};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    settings::check_environment()?;
    match &cli.command {
        Command::Serve(args) => {
            let settings = resolve_settings(&cli, Some(args))?;
            commands::serve::run(&settings, !args.no_migrate)
        }
        Command::Demo(args) => {
            let settings = resolve_settings(&cli, Some(args))?;
            commands::demo::run(&settings)
        }
        Command::Migrate => commands::migrate::run(&resolve_settings(&cli, None)?),
        Command::Provision(platform::cli::ProvisionCommand::Serve(args)) => {
            let settings = resolve_settings(&cli, Some(args))?;
            commands::provision::serve(&settings)
        }
        Command::Staff(_) => {
            let settings = resolve_settings(&cli, None)?;
            let Command::Staff(command) = cli.command else { unreachable!() };
            commands::staff::run(&settings, command)
        }
        Command::Secrets(platform::cli::SecretsCommand::Rotate) => {
            let settings = resolve_settings(&cli, None)?;
            commands::secrets::rotate(&settings)
        }
        Command::Notifications(platform::cli::NotificationsCommand::SendDigests) => {
            commands::notifications::send_digests(&resolve_settings(&cli, None)?)
        }
        Command::Secrets(platform::cli::SecretsCommand::GenerateKey { path }) => commands::secrets::generate(path),
        Command::Backup(_) => {
            let settings = resolve_settings(&cli, None)?;
            let Command::Backup(args) = cli.command else { unreachable!() };
            commands::backup::run(&settings, args)
        }
        Command::Restore(args) => commands::backup::restore(&resolve_settings(&cli, None)?, args),
        Command::Cluster(_) => {
            let settings = resolve_settings(&cli, None)?;
            let Command::Cluster(command) = cli.command else { unreachable!() };
            commands::cluster::run(&settings, command)
        }
        Command::Tenant(_) => {
            let settings = resolve_settings(&cli, None)?;
            let Command::Tenant(command) = cli.command else { unreachable!() };
            commands::tenant::run(&settings, command)
        }
        Command::Files(command) => commands::files::run(&resolve_settings(&cli, None)?, command),
    }
}

/// Logs to stderr; `CIVITAS_LOG` is the filter (default `info`), `CIVITAS_LOG_FORMAT=json`
/// gives one JSON object per line.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CIVITAS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("CIVITAS_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}
