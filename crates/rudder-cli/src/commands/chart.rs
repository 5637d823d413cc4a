//! Chart commands: `template`, `lint`, `package` (with `--sign`: also `<archive>.prov`),
//! `create`, `show`.

use std::io::Write;

use anyhow::Context;
use rudder_action::{lint, package, show, template, values::ValueSources};

use crate::cli::{
    CreateArgs, LintArgs, PackageArgs, ShowArgs, ShowCommand, TemplateArgs, ValuesArgs,
};

fn value_sources(args: ValuesArgs) -> ValueSources {
    ValueSources {
        files: args.values,
        set: args.set,
        set_string: args.set_string,
        set_file: args.set_file,
        set_json: args.set_json,
        set_literal: args.set_literal,
    }
}

/// Helm's default release name for `template` without a name.
const DEFAULT_RELEASE_NAME: &str = "release-name";

pub fn template(args: TemplateArgs, namespace: Option<String>) -> anyhow::Result<()> {
    let (release_name, chart) = match (args.generate_name, args.args.as_slice()) {
        (true, [chart]) => (template::generate_name(chart), chart.clone()),
        (true, _) => anyhow::bail!("with --generate-name, give only the chart argument"),
        (false, [chart]) => (DEFAULT_RELEASE_NAME.to_string(), chart.clone()),
        (false, [name, chart]) => (name.clone(), chart.clone()),
        (false, _) => anyhow::bail!("expected [NAME] CHART"),
    };
    let oci = args.source.oci_source(&chart)?;
    let opts = template::TemplateOptions {
        oci,
        chart: chart.into(),
        release_name,
        namespace: namespace.unwrap_or_else(|| "default".to_string()),
        values: value_sources(args.values),
        include_crds: args.include_crds && !args.skip_crds,
        show_only: args.show_only,
        kube_version: args.kube_version,
        api_versions: args.api_versions,
        is_upgrade: args.is_upgrade,
        skip_tests: args.skip_tests,
        no_hooks: args.no_hooks,
        skip_schema_validation: args.skip_schema_validation,
        ..super::plugin::template_plugins(&args.post_render)?
    };
    let output = template::template(&opts)?;
    match args.output_dir {
        Some(dir) => {
            let written = template::write_output_dir(
                &output,
                &dir,
                args.release_name.then_some(opts.release_name.as_str()),
            )?;
            let mut out = std::io::stdout().lock();
            for path in written {
                writeln!(out, "wrote {}", path.display())?;
            }
        }
        None => {
            std::io::stdout()
                .lock()
                .write_all(output.to_text().as_bytes())?;
        }
    }
    Ok(())
}

pub fn lint(args: LintArgs, namespace: Option<String>) -> anyhow::Result<()> {
    let opts = lint::LintOptions {
        values: value_sources(args.values),
        namespace: namespace.unwrap_or_else(|| "default".to_string()),
        strict: args.strict,
        kube_version: args.kube_version,
        skip_schema_validation: args.skip_schema_validation,
    };
    let mut out = std::io::stdout().lock();
    let mut failed = 0usize;
    for path in &args.paths {
        let report = lint::lint(path, &opts);
        writeln!(out, "==> Linting {}", path.display())?;
        for finding in &report.findings {
            if args.quiet && finding.severity == lint::Severity::Info {
                continue;
            }
            writeln!(out, "{finding}")?;
        }
        if report.failed(opts.strict) {
            failed += 1;
        }
        writeln!(out)?;
    }
    let total = args.paths.len();
    if failed > 0 {
        anyhow::bail!("{total} chart(s) linted, {failed} chart(s) failed");
    }
    writeln!(out, "{total} chart(s) linted, 0 chart(s) failed")?;
    Ok(())
}

pub fn package(args: PackageArgs) -> anyhow::Result<()> {
    let sign = if args.sign {
        Some(super::provenance::signing(
            args.key,
            args.keyring,
            args.passphrase_file.as_deref(),
        )?)
    } else {
        None
    };
    let opts = package::PackageOptions {
        destination: args.destination,
        version: args.version,
        app_version: args.app_version,
        sign,
    };
    let mut out = std::io::stdout().lock();
    for path in &args.paths {
        let written = package::package(path, &opts)
            .with_context(|| format!("packaging {}", path.display()))?;
        writeln!(
            out,
            "Successfully packaged chart and saved it to: {}",
            written.display()
        )?;
    }
    Ok(())
}

pub fn create(args: CreateArgs) -> anyhow::Result<()> {
    let path = rudder_action::create::create(&args.name)?;
    writeln!(std::io::stdout().lock(), "Creating {}", path.display())?;
    Ok(())
}

pub fn show(cmd: ShowCommand) -> anyhow::Result<()> {
    let (what, ShowArgs { chart, .. }) = match cmd {
        ShowCommand::All(a) => (show::Show::All, a),
        ShowCommand::Chart(a) => (show::Show::Chart, a),
        ShowCommand::Values(a) => (show::Show::Values, a),
        ShowCommand::Readme(a) => (show::Show::Readme, a),
        ShowCommand::Crds(a) => (show::Show::Crds, a),
    };
    let text = show::show(&chart, what)?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}
