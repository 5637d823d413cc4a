//! `rudder version`.

use std::io::Write;

use crate::cli::VersionArgs;

/// The version of this build.
const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn run(args: VersionArgs) -> anyhow::Result<()> {
    let version = format!("v{VERSION}");
    let commit = env!("RUDDER_GIT_COMMIT");
    let rust = env!("RUDDER_RUSTC_VERSION");
    let mut out = std::io::stdout().lock();
    if let Some(template) = args.template {
        let text = template
            .replace("{{.Version}}", &version)
            .replace("{{.GitCommit}}", commit)
            .replace("{{.RustVersion}}", rust);
        writeln!(out, "{text}")?;
    } else if args.short {
        writeln!(out, "{version}")?;
    } else {
        writeln!(
            out,
            "version.BuildInfo{{Version:\"{version}\", GitCommit:\"{commit}\", RustVersion:\"{rust}\"}}"
        )?;
    }
    Ok(())
}
