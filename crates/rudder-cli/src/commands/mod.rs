//! One module per command: each turns parsed arguments into `rudder-action` options,
//! runs the operation and prints its result.

mod chart;
pub(crate) mod lifecycle;
pub(crate) mod plugin;
// --- provenance commands ---
pub(crate) mod provenance;
pub(crate) mod registry;
// --- repo/dependency commands ---
pub(crate) mod dependency;
pub(crate) mod release; // release helper: ReleaseFlags is used by cli.rs
pub(crate) mod repo;
mod version;

use clap::CommandFactory;

use crate::cli::{Cli, Command, Shell};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let namespace = cli.global.namespace.clone();
    match cli.command {
        // --- repo/dependency commands: locate `repo/chart` references first ---
        Command::Template(mut args) => {
            repo::prepare_template(&mut args, &cli.global.repo)?;
            chart::template(args, namespace)
        }
        Command::Lint(args) => chart::lint(args, namespace),
        Command::Package(args) => chart::package(args),
        Command::Create(args) => chart::create(args),
        Command::Show(mut cmd) => {
            repo::prepare_show(&mut cmd, &cli.global.repo)?;
            chart::show(cmd)
        }
        Command::Install(mut args) => {
            args.chart = repo::prepare_chart(&args.chart, &args.source, &cli.global.repo)?;
            release::install(args, &cli.global)
        }
        Command::List(args) => release::list(args, &cli.global),
        Command::Status(args) => release::status(args, &cli.global),
        Command::Test(args) => release::test(args, &cli.global),
        Command::Uninstall(args) => release::uninstall(args, &cli.global),
        // --- release lifecycle commands ---
        Command::Upgrade(mut args) => {
            args.chart = repo::prepare_chart(&args.chart, &args.source, &cli.global.repo)?;
            lifecycle::upgrade(args, &cli.global)
        }
        Command::Rollback(args) => lifecycle::rollback(args, &cli.global),
        Command::History(args) => lifecycle::history(args, &cli.global),
        Command::Get(cmd) => lifecycle::get(cmd, &cli.global),
        // --- plugin commands ---
        Command::Plugin(cmd) => plugin::run(cmd),
        Command::External(args) => plugin::run_external(args, &cli.global),
        // --- registry commands ---
        Command::Push(args) => registry::push(args),
        Command::Pull(args) if repo::is_repo_pull(&args) => repo::pull(args, &cli.global.repo),
        Command::Pull(args) => registry::pull(args),
        Command::Registry(cmd) => registry::registry(cmd),
        // --- provenance commands ---
        Command::Verify(args) => provenance::verify(args),
        // --- repo/dependency commands ---
        Command::Repo(cmd) => repo::run(cmd, &cli.global.repo),
        Command::Search(cmd) => repo::search(cmd, &cli.global.repo),
        Command::Dependency(cmd) => dependency::run(cmd, &cli.global.repo),
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
