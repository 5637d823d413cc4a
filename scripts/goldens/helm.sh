#!/usr/bin/env bash
# Regenerates the Helm template conformance goldens with real Helm 4.1.4
# (format: testdata/helm-conformance/README.md):
#   testdata/helm-conformance/functions.txt       function inventory (Go program helm-funcs/)
#   testdata/helm-conformance/goldens/<group>.json one result per case of cases/<group>.yaml
#   testdata/helm-conformance/charts-goldens/<chart>/<values>.yaml
#                                                  `helm template` of testdata/charts/v2-*
# Idempotent: random outputs are checked for shape and never stored as bytes.
# Usage: scripts/goldens/helm.sh   (HELM=/path/to/helm to override the binary)
set -euo pipefail
export TZ=UTC LC_ALL=C.UTF-8  # sprig date functions format in the local zone
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HELM=${HELM:-$("$ROOT/../shared/tools/helm-peer")}
(cd "$ROOT/scripts/goldens/helm-funcs" && go run .) > "$ROOT/testdata/helm-conformance/functions.txt"
exec python3 - "$ROOT" "$HELM" <<'PY'
import base64, glob, json, os, re, shlex, subprocess, sys, tempfile, time
import yaml

root, helm = sys.argv[1], sys.argv[2]
conf = os.path.join(root, "testdata/helm-conformance")
version = subprocess.run([helm, "version", "--template", "{{.Version}}"],
                         capture_output=True, text=True, check=True).stdout.strip()
if version != "v4.1.4":
    sys.exit(f"expected Helm v4.1.4, found {version}")
start = time.time()
invocations = 0

def run_helm(chart, flags):
    global invocations
    invocations += 1
    return subprocess.run([helm, "template", "rel", chart, "--namespace", "ns", *flags],
                          capture_output=True, text=True, cwd=os.path.dirname(chart))

def error_text(stderr):
    lines = stderr.splitlines()
    first = next((i for i, l in enumerate(lines) if l.startswith("Error:")), 0)
    return "\n".join(lines[first:]).rstrip("\n")

def write_chart(d, chart_meta, values, files, templates):
    os.makedirs(os.path.join(d, "templates"))
    # chart_meta: extra Chart.yaml lines, appended verbatim.
    with open(os.path.join(d, "Chart.yaml"), "w") as fh:
        fh.write("apiVersion: v2\nname: conf\nversion: 0.1.0\n" + (chart_meta or ""))
    with open(os.path.join(d, "values.yaml"), "w") as fh:
        fh.write(values or "")
    for path, text in (files or {}).items():
        p = os.path.join(d, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as fh:
            fh.write(text)
    for name, text in templates.items():
        with open(os.path.join(d, "templates", name + ".yaml"), "w") as fh:
            fh.write(text)

def wrap(name, tpl):
    # The case text becomes the body of a define; the document carries its rendering,
    # with Helm's "<no value>" removal applied, base64 encoded so that nothing in Helm's
    # manifest handling (splitting on ---, trimming, YAML parsing) can touch the bytes.
    return ('{{ define "conf.case.%s" }}%s{{ end }}# case %s\nout: '
            '{{ include "conf.case.%s" . | replace "<no value>" "" | b64enc | quote }}\n'
            % (name, tpl, name, name))

def check_shape(case, out):
    shape = case["shape"]
    if "regex" in shape and not re.fullmatch(shape["regex"], out):
        sys.exit(f"{case['name']}: output {out!r} does not match {shape['regex']!r}")
    if "length" in shape and len(out) != shape["length"]:
        sys.exit(f"{case['name']}: length {len(out)} != {shape['length']}")
    return {"shape": shape}

counts, failures, used_text = {}, [], []
crosschecked = 0
for path in sorted(glob.glob(os.path.join(conf, "cases", "*.yaml"))):
    group = os.path.splitext(os.path.basename(path))[0]
    spec = yaml.safe_load(open(path))
    results, batches, seen = {}, {}, set()
    for case in spec["cases"]:
        name = case["name"]
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name), f"bad case name {name}"
        assert name not in seen, f"duplicate case {group}/{name}"
        seen.add(name)
        case.setdefault("values", spec.get("values", ""))
        case.setdefault("flags", spec.get("flags", []))
        case.setdefault("files", spec.get("files", {}))
        case.setdefault("chart", spec.get("chart", ""))
        used_text.append(case["tpl"] + "".join(case["files"].values()))
        expect = case.setdefault("expect", "shape" if "shape" in case else "output")
        assert expect in ("output", "error", "shape"), f"{name}: expect {expect}"
        if expect == "error":
            with tempfile.TemporaryDirectory() as tmp:
                d = os.path.join(tmp, "conf")
                write_chart(d, case["chart"], case["values"], case["files"], {name: case["tpl"]})
                proc = run_helm(d, case["flags"])
            if proc.returncode == 0:
                failures.append(f"{group}/{name}: expected an error, Helm rendered:\n{proc.stdout}")
            results[name] = {"error": error_text(proc.stderr)}
        else:
            key = json.dumps([case["values"], case["flags"], case["files"], case["chart"]], sort_keys=True)
            batches.setdefault(key, []).append(case)
    for cases in batches.values():
        first = cases[0]
        with tempfile.TemporaryDirectory() as tmp:
            d = os.path.join(tmp, "conf")
            write_chart(d, first["chart"], first["values"], first["files"],
                        {c["name"]: wrap(c["name"], c["tpl"]) for c in cases})
            proc = run_helm(d, first["flags"])
        if proc.returncode != 0:
            bad = []
            for c in cases:  # find every failing case of the batch
                with tempfile.TemporaryDirectory() as tmp:
                    d = os.path.join(tmp, "conf")
                    write_chart(d, c["chart"], c["values"], c["files"], {c["name"]: wrap(c["name"], c["tpl"])})
                    p1 = run_helm(d, c["flags"])
                if p1.returncode != 0:
                    bad.append(f"{group}/{c['name']}: {error_text(p1.stderr)}")
            failures.extend(bad or [f"{group}: {proc.stderr}"])
            continue
        outs = dict(re.findall(r"^# case ([A-Za-z0-9_-]+)\nout: \"([A-Za-z0-9+/=]*)\"$", proc.stdout, re.M))
        for c in cases:
            out = base64.b64decode(outs[c["name"]]).decode("utf-8")
            results[c["name"]] = check_shape(c, out) if c["expect"] == "shape" else {"output": out}
    # Cross-check the include/b64 wrapping: a case whose output is a YAML mapping is rendered
    # again unwrapped, and Helm's printed document must equal the (trimmed) golden.
    for c in spec["cases"]:
        out = results.get(c["name"], {}).get("output")
        try:
            doc = yaml.load(out, Loader=yaml.BaseLoader) if out else None
        except yaml.YAMLError:
            doc = None
        if not isinstance(doc, dict) or not doc or "---" in out:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            d = os.path.join(tmp, "conf")
            write_chart(d, c["chart"], c["values"], c["files"], {c["name"]: c["tpl"]})
            proc = run_helm(d, c["flags"])
        body = proc.stdout.split(f"# Source: conf/templates/{c['name']}.yaml\n", 1)[-1]
        if proc.returncode != 0 or body != out.strip() + "\n":
            failures.append(f"{group}/{c['name']}: unwrapped render differs: {body!r}")
        crosschecked += 1
    counts[group] = len(results)
    with open(os.path.join(conf, "goldens", group + ".json"), "w") as fh:
        json.dump(results, fh, indent=1, sort_keys=True, ensure_ascii=False)
        fh.write("\n")

# Every function of the inventory must be called by at least one case.
actions = " ".join(re.findall(r"\{\{(.*?)\}\}", "\n".join(used_text), re.S))
functions = [l.split("\t")[0] for l in open(os.path.join(conf, "functions.txt")).read().splitlines()]
unused = [f for f in functions if not re.search(r"(?<![\w.$])" + re.escape(f) + r"(?!\w)", actions)]
if unused:
    failures.append(f"functions without a case: {unused}")
if failures:
    sys.exit("cases failed (a case expected to fail needs expect: error):\n" + "\n".join(failures))

# Realistic charts: testdata/charts/v2-*/ci/*.yaml; a first line "# helm-flags: ..." adds flags.
# random.yaml in the chart lists lines whose value is random; they are stored as <<RANDOM>>.
chart_counts = {}
for chart in sorted(glob.glob(os.path.join(root, "testdata/charts/v2-*"))):
    if not os.path.isdir(os.path.join(chart, "ci")):
        continue
    cname = os.path.basename(chart)
    rnd_path = os.path.join(chart, "random.yaml")
    randoms = yaml.safe_load(open(rnd_path)) if os.path.exists(rnd_path) else []
    out_dir = os.path.join(conf, "charts-goldens", cname)
    os.makedirs(out_dir, exist_ok=True)
    for vf in sorted(glob.glob(os.path.join(chart, "ci", "*.yaml"))):
        first_line = open(vf).readline()
        m = re.match(r"# helm-flags: (.*)", first_line)
        flags = shlex.split(m.group(1)) if m else []
        proc = run_helm(chart, ["-f", vf, *flags])
        if proc.returncode != 0:
            golden = "# error\n" + error_text(proc.stderr) + "\n"
        else:
            golden = proc.stdout
            for r in randoms:
                pat = re.compile(r"^(%s)(.*)$" % r["line"], re.M)
                def mask(mo):
                    if not re.fullmatch(r["shape"], mo.group(2)):
                        sys.exit(f"{cname}: random value {mo.group(2)!r} does not match {r['shape']!r}")
                    return mo.group(1) + "<<RANDOM>>"
                golden = pat.sub(mask, golden)
        with open(os.path.join(out_dir, os.path.basename(vf)), "w") as fh:
            fh.write(golden)
        chart_counts[cname] = chart_counts.get(cname, 0) + 1

total = sum(counts.values())
print(f"cases: {total} in {len(counts)} groups: " + ", ".join(f"{g}={n}" for g, n in counts.items()))
print(f"unwrapped cross-checks: {crosschecked}")
print(f"charts: {len(chart_counts)}, goldens: {sum(chart_counts.values())}")
print(f"helm invocations: {invocations}, {time.time() - start:.1f}s")
PY
