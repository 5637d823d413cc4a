//! Render benchmark (plain harness, `cargo bench -p rudder-render --bench render`).
//!
//! Renders `testdata/charts/hello-v3` and a generated v3 chart with 1,200 objects, and
//! prints the time per render and the process's peak resident memory (VmHWM). Run through
//! `bench/render/run.sh`, which also reports `/usr/bin/time -v`'s maximum RSS.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use rudder_render::{OutputOptions, RenderOptions, render};

/// Objects in the generated chart: 20 files × 20 ConfigMaps, 20 × 20 Services and
/// 20 × 20 Deployments.
const FILES_PER_KIND: usize = 20;
const OBJECTS_PER_FILE: usize = 20;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create bench chart directory");
    }
    std::fs::write(path, text).expect("write bench chart file");
}

fn generate_large_chart(root: &Path) {
    write(
        &root.join("Chart.yaml"),
        "apiVersion: v3\nname: large\nversion: 1.0.0\nappVersion: \"1.0\"\n",
    );
    let mut values = String::from("perFile: ");
    let _ = writeln!(values, "{OBJECTS_PER_FILE}");
    values.push_str("image: {repository: nginx, tag: \"1.27\"}\nlabels: {team: perf, tier: web}\n");
    values.push_str("env:\n");
    for i in 0..10 {
        let _ = writeln!(values, "  VAR_{i}: value-{i}");
    }
    write(&root.join("values.yaml"), &values);
    write(
        &root.join("templates/_helpers.j2"),
        "{% macro labels(name) %}\napp.kubernetes.io/name: {{ name }}\napp.kubernetes.io/instance: {{ Release.Name }}\n{{ Values.labels | toYaml }}\n{%- endmacro %}\n",
    );
    for f in 0..FILES_PER_KIND {
        write(
            &root.join(format!("templates/cm-{f:02}.yaml")),
            &format!(
                "{{% import \"_helpers.j2\" as h %}}\n{{% for i in range(Values.perFile) %}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ Release.Name }}}}-cm-{f}-{{{{ i }}}}\n  labels:\n    {{{{- h.labels(\"cm\") | nindent(4) }}}}\ndata:\n  {{{{- Values.env | toYaml | nindent(2) }}}}\n  index: {{{{ i | quote }}}}\n{{% endfor %}}\n"
            ),
        );
        write(
            &root.join(format!("templates/svc-{f:02}.yaml")),
            &format!(
                "{{% import \"_helpers.j2\" as h %}}\n{{% for i in range(Values.perFile) %}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{{{ Release.Name }}}}-svc-{f}-{{{{ i }}}}\n  labels:\n    {{{{- h.labels(\"svc\") | nindent(4) }}}}\nspec:\n  ports:\n    - port: {{{{ 8000 + i }}}}\n      targetPort: http\n  selector:\n    {{{{- h.labels(\"web\") | nindent(4) }}}}\n{{% endfor %}}\n"
            ),
        );
        write(
            &root.join(format!("templates/deploy-{f:02}.yaml")),
            &format!(
                "{{% import \"_helpers.j2\" as h %}}\n{{% for i in range(Values.perFile) %}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ Release.Name }}}}-web-{f}-{{{{ i }}}}\n  labels:\n    {{{{- h.labels(\"web\") | nindent(4) }}}}\nspec:\n  replicas: {{{{ (i % 3) + 1 }}}}\n  selector:\n    matchLabels:\n      {{{{- h.labels(\"web\") | nindent(6) }}}}\n  template:\n    metadata:\n      labels:\n        {{{{- h.labels(\"web\") | nindent(8) }}}}\n    spec:\n      containers:\n        - name: web\n          image: \"{{{{ Values.image.repository }}}}:{{{{ Values.image.tag }}}}\"\n          env:\n          {{% for k, v in Values.env | items %}}\n            - name: {{{{ k }}}}\n              value: {{{{ v | quote }}}}\n          {{% endfor %}}\n{{% endfor %}}\n"
            ),
        );
    }
}

struct Measured {
    objects: usize,
    bytes: usize,
    mean: Duration,
    min: Duration,
}

fn measure(dir: &Path, iterations: u32) -> Measured {
    let loaded = rudder_chart::loader::load(dir).expect("bench chart loads");
    let prepared = rudder_chart::values_tree::prepare(&loaded, &serde_json::Value::Null)
        .expect("bench chart values prepare");
    let values = serde_json::Value::Object(prepared.values);
    let options = RenderOptions::default();
    let mut total = Duration::ZERO;
    let mut min = Duration::MAX;
    let mut objects = 0;
    let mut bytes = 0;
    for _ in 0..iterations {
        let start = Instant::now();
        let rendered = render(&prepared.chart, &values, &options).expect("bench chart renders");
        let text = rendered.template_output(&OutputOptions::default());
        let elapsed = start.elapsed();
        total += elapsed;
        min = min.min(elapsed);
        objects = rendered.manifests.len() + rendered.hooks.len();
        bytes = text.len();
    }
    Measured {
        objects,
        bytes,
        mean: total / iterations,
        min,
    }
}

fn report(name: &str, m: &Measured, iterations: u32) {
    println!(
        "{name:<10} objects={:<5} output={:>8} B  iterations={iterations:<4} mean={:>9.3} ms  min={:>9.3} ms  peak_rss_so_far={} KiB",
        m.objects,
        m.bytes,
        m.mean.as_secs_f64() * 1e3,
        m.min.as_secs_f64() * 1e3,
        peak_rss_kib().map_or_else(|| "?".to_string(), |k| k.to_string()),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and only
    // smoke-tests the harness with one iteration.
    let full = std::env::args().any(|a| a == "--bench");
    let (small_iters, large_iters) = if full { (200, 10) } else { (1, 1) };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let hello = measure(&repo.join("testdata/charts/hello-v3"), small_iters);
    report("hello-v3", &hello, small_iters);

    let dir = tempfile::tempdir().expect("temporary directory");
    generate_large_chart(dir.path());
    let large = measure(dir.path(), large_iters);
    assert!(
        large.objects >= 1000,
        "large chart has {} objects",
        large.objects
    );
    report("large", &large, large_iters);
}
