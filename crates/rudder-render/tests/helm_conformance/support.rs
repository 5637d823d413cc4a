//! Shared by `helm_conformance.rs` and `helm_charts.rs`: turning `helm template` flags
//! into Rudder options, preparing a chart and the known-failures list.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rudder_chart::Chart;
use rudder_render::gotmpl::{GoTemplateEngine, helm_message};
use rudder_render::{Capabilities, OutputOptions, ReleaseInfo, RenderError, RenderOptions};
use rudder_values::options::{ValueOptions, ValuesFile, no_files};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the flags of a `helm template rel <chart> --namespace ns <flags>` run select.
#[derive(Default)]
pub struct Flags {
    pub values: ValueOptions,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    pub is_upgrade: bool,
    pub include_crds: bool,
}

/// Parses the flags the goldens use; an unknown flag is an error.
pub fn parse_flags(args: &[String], base: &Path) -> Result<Flags, String> {
    let mut f = Flags::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("flag {name} needs a value"))
        };
        match name {
            "--set" => f.values.set.push(value()?),
            "--set-string" => f.values.set_string.push(value()?),
            "--set-json" => f.values.set_json.push(value()?),
            "--set-literal" => f.values.set_literal.push(value()?),
            "-f" | "--values" => {
                let p = base.join(value()?);
                let text =
                    std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                f.values.files.push(ValuesFile {
                    origin: p.display().to_string(),
                    text,
                });
            }
            "--kube-version" => f.kube_version = Some(value()?),
            "--api-versions" | "-a" => f.api_versions.push(value()?),
            "--is-upgrade" => f.is_upgrade = true,
            "--include-crds" => f.include_crds = true,
            other => return Err(format!("unsupported flag {other}")),
        }
    }
    Ok(f)
}

impl Flags {
    /// The render options; `Err` with Helm's whole stderr when a flag is invalid
    /// (`--kube-version`: Helm fails before rendering, without the `--debug` hint).
    pub fn render_options(&self) -> Result<RenderOptions<'static>, String> {
        let mut capabilities = Capabilities::default();
        if let Some(v) = &self.kube_version {
            capabilities.kube_version =
                Capabilities::parse_kube_version(v).map_err(|e| format!("Error: {e}"))?;
        }
        capabilities
            .api_versions
            .extend(self.api_versions.iter().cloned());
        static ENGINE: GoTemplateEngine = GoTemplateEngine;
        Ok(RenderOptions {
            release: ReleaseInfo {
                name: "rel".into(),
                namespace: "ns".into(),
                revision: 1,
                is_install: !self.is_upgrade,
                is_upgrade: self.is_upgrade,
                service: "Helm".into(),
            },
            capabilities,
            go_engine: Some(&ENGINE),
            ..RenderOptions::default()
        })
    }

    pub fn output_options(&self) -> OutputOptions {
        OutputOptions {
            include_crds: self.include_crds,
            ..OutputOptions::default()
        }
    }
}

/// Loads a chart and prepares it with the flags' values.
pub fn load_prepared(dir: &Path, flags: &Flags) -> Result<(Chart, serde_json::Value), String> {
    let chart = rudder_chart::loader::load(dir).map_err(|e| e.to_string())?;
    let mut values = flags.values.clone();
    values.model = rudder_chart::values_tree::value_model(&chart);
    let user = values.merge(&mut no_files).map_err(|e| e.to_string())?;
    let prepared = rudder_chart::values_tree::prepare(&chart, &serde_json::Value::Object(user))
        .map_err(|e| e.to_string())?;
    Ok((prepared.chart, serde_json::Value::Object(prepared.values)))
}

/// Helm's stderr for a failed `helm template`, from `Error:` on.
pub fn helm_error(err: &RenderError) -> String {
    format!(
        "Error: {}\n\nUse --debug flag to render out invalid YAML",
        helm_message(err)
    )
}

/// `known_failures.txt`: `<id><TAB><reason>` per line, `#` comments.
pub fn read_known_failures(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// Compares the run's failures with the committed list. With
/// `RUDDER_UPDATE_KNOWN_FAILURES=1` the list is rewritten instead.
pub fn check_known_failures(
    path: &Path,
    header: &str,
    total: usize,
    failures: &BTreeMap<String, String>,
) {
    let passed = total - failures.len();
    eprintln!(
        "{header}: {passed}/{total} pass, {} known failures",
        failures.len()
    );
    if std::env::var_os("RUDDER_UPDATE_KNOWN_FAILURES").is_some() {
        let mut text = format!(
            "# {header}: cases that do not yet match Helm 4.1.4, one per line: <case><TAB><first difference>.\n# Regenerate with RUDDER_UPDATE_KNOWN_FAILURES=1 cargo test -p rudder-render --test <test>.\n"
        );
        // Reasons for differences kept on purpose survive regeneration while the case
        // still fails: `# deliberate <case>: <why>` (and `# not yet <case>: <why>`).
        let previous = std::fs::read_to_string(path).unwrap_or_default();
        for line in previous.lines() {
            if let Some(rest) = line
                .strip_prefix("# deliberate ")
                .or_else(|| line.strip_prefix("# not yet "))
                && rest
                    .split_once(':')
                    .is_some_and(|(case, _)| failures.contains_key(case))
            {
                text.push_str(line);
                text.push('\n');
            }
        }
        for (k, v) in failures {
            text.push_str(&format!("{k}\t{v}\n"));
        }
        std::fs::write(path, text).expect("write known failures");
        return;
    }
    let known = read_known_failures(path);
    let new: Vec<String> = failures
        .iter()
        .filter(|(k, _)| !known.contains_key(*k))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let fixed: Vec<&String> = known
        .keys()
        .filter(|k| !failures.contains_key(*k))
        .collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "{header}: {} new failures:\n{}\n{} cases in known_failures.txt now pass (remove them): {:?}",
        new.len(),
        new.join("\n"),
        fixed.len(),
        fixed
    );
}

/// The first differing line of two texts, for a one-line reason.
pub fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.split('\n').collect(), got.split('\n').collect());
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i).copied(), g.get(i).copied());
        if a != b {
            let clip = |s: Option<&str>| {
                let s = s.unwrap_or("<end>");
                s.chars().take(80).collect::<String>()
            };
            return format!("line {}: want {:?} got {:?}", i + 1, clip(a), clip(b));
        }
    }
    "differs".to_string()
}
