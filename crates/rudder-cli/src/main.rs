//! The `rudder` command line.
//!
//! This crate only wires things together: it parses flags (see [`cli`]), reads the
//! environment, calls `rudder-action` and prints results. It holds no domain logic, and
//! it is the only crate that uses `anyhow` or prints to stdout/stderr.
//!
//! Exit codes: 0 on success, 1 when an operation failed (the reason is printed on one
//! line to stderr as `Error: ...`), 2 when the command line is invalid.

mod cli;
mod commands;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(cli.global.debug);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed stdout (e.g. `rudder template . | head`) is not an error.
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "Error: {}", output::one_line(&err));
            ExitCode::from(1)
        }
    }
}

fn init_tracing(debug: bool) {
    // rustls logs a failed certificate check at ERROR before the request fails; the command's
    // own one-line error already says it (and what to do), so rustls stays quiet by default.
    let default = if debug { "debug" } else { "warn,rustls=off" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUDDER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
