//! One module per command: each turns parsed arguments into `rudder-action` options,
//! runs the operation and prints its result.

mod chart;
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
