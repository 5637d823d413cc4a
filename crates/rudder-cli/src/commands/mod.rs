//! One module per command: each turns parsed arguments into `rudder-action` options,
//! runs the operation and prints its result.

mod chart;
pub(crate) mod lifecycle;
pub(crate) mod plugin;
pub(crate) mod registry;
mod release;
mod version;

use clap::CommandFactory;

use crate::cli::{Cli, Command, Shell};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let namespace = cli.global.namespace.clone();
    match cli.command {
        Command::Template(args) => chart::template(args, namespace),
        Command::Lint(args) => chart::lint(args, namespace),
        Command::Package(args) => chart::package(args),
        Command::Create(args) => chart::create(args),
        Command::Show(cmd) => chart::show(cmd),
        Command::Install(args) => release::install(args, &cli.global),
        Command::List(args) => release::list(args, &cli.global),
        Command::Status(args) => release::status(args, &cli.global),
        Command::Uninstall(args) => release::uninstall(args, &cli.global),
        // --- release lifecycle commands ---
        Command::Upgrade(args) => lifecycle::upgrade(args, &cli.global),
        Command::Rollback(args) => lifecycle::rollback(args, &cli.global),
        Command::History(args) => lifecycle::history(args, &cli.global),
        Command::Get(cmd) => lifecycle::get(cmd, &cli.global),
        // --- plugin commands ---
        Command::Plugin(cmd) => plugin::run(cmd),
        Command::External(args) => plugin::run_external(args),
        // --- registry commands ---
        Command::Push(args) => registry::push(args),
        Command::Pull(args) => registry::pull(args),
        Command::Registry(cmd) => registry::registry(cmd),
        Command::Version(args) => version::run(args),
        Command::Completion(args) => {
            completion(args.shell);
            Ok(())
        }
    }
}

fn completion(shell: Shell) {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "rudder", &mut std::io::stdout());
}
