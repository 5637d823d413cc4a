//! `show`: print a chart's definition, values, README or CRDs, as `helm show` does.

use std::path::Path;

use rudder_chart::Chart;

use crate::ActionError;

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// Everything below, separated by `---`.
    All,
    /// Chart.yaml, re-serialised as Helm does.
    Chart,
    /// The raw `values.yaml`.
    Values,
    /// The README.
    Readme,
    /// The CRD files of the chart and its subcharts.
    Crds,
}

/// README names Helm looks for, in order of preference (case-insensitive).
const README_NAMES: [&str; 3] = ["readme.md", "readme.txt", "readme"];

/// Returns the text `helm show <what>` prints for the chart at `path`.
pub fn show(path: &Path, what: Show) -> Result<String, ActionError> {
    let chart = rudder_chart::loader::load(path)?;
    let all = what == Show::All;
    let mut out = String::new();
    if all || what == Show::Chart {
        out.push_str(&rudder_chart::metadata_yaml(&chart.metadata));
        out.push('\n');
    }
    // Like Helm, a chart without values.yaml or README shows nothing for them.
    if (all || what == Show::Values)
        && let Some(raw) = &chart.raw_values
    {
        if all {
            out.push_str("---\n");
        }
        out.push_str(&String::from_utf8_lossy(raw));
        out.push('\n');
    }
    if (all || what == Show::Readme)
        && let Some(text) = readme(&chart)
    {
        if all {
            out.push_str("---\n");
        }
        out.push_str(&text);
        out.push('\n');
    }
    if all || what == Show::Crds {
        let mut crds = Vec::new();
        collect_crds(&chart, &mut crds);
        for data in crds {
            out.push_str("---\n");
            out.push_str(&data);
            out.push('\n');
        }
    }
    Ok(out)
}

fn readme(chart: &Chart) -> Option<String> {
    README_NAMES.iter().find_map(|name| {
        chart
            .files
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
    })
}

fn collect_crds(chart: &Chart, out: &mut Vec<String>) {
    out.extend(
        chart
            .crd_files()
            .map(|f| String::from_utf8_lossy(&f.data).into_owned()),
    );
    for dep in &chart.dependencies {
        collect_crds(dep, out);
    }
}
