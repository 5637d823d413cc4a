// Command gen writes the release-storage interop fixtures used by crates/rudder-release.
//
// Every byte it writes is produced by Helm 4.1.4's own code: the release and chart
// types from helm.sh/helm/v4/pkg/release/v1 and pkg/chart/v2, and the Secret and
// ConfigMap storage drivers from pkg/storage/driver, driven through an in-memory
// implementation of the client-go Secret/ConfigMap interfaces. Run it through
// scripts/goldens/release.sh.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

const namespace = "team-a"

// memSecrets implements the parts of corev1.SecretInterface that Helm's Secrets driver calls.
type memSecrets struct {
	corev1.SecretInterface
	mu   sync.Mutex
	objs map[string]*v1.Secret
}

func newMemSecrets() *memSecrets { return &memSecrets{objs: map[string]*v1.Secret{}} }

var secretsGR = schema.GroupResource{Resource: "secrets"}

func (m *memSecrets) Create(_ context.Context, s *v1.Secret, _ metav1.CreateOptions) (*v1.Secret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[s.Name]; ok {
		return nil, apierrors.NewAlreadyExists(secretsGR, s.Name)
	}
	c := s.DeepCopy()
	m.objs[s.Name] = c
	return c.DeepCopy(), nil
}

func (m *memSecrets) Update(_ context.Context, s *v1.Secret, _ metav1.UpdateOptions) (*v1.Secret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[s.Name]; !ok {
		return nil, apierrors.NewNotFound(secretsGR, s.Name)
	}
	c := s.DeepCopy()
	m.objs[s.Name] = c
	return c.DeepCopy(), nil
}

func (m *memSecrets) Get(_ context.Context, name string, _ metav1.GetOptions) (*v1.Secret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.objs[name]; ok {
		return s.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(secretsGR, name)
}

func (m *memSecrets) Delete(_ context.Context, name string, _ metav1.DeleteOptions) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; !ok {
		return apierrors.NewNotFound(secretsGR, name)
	}
	delete(m.objs, name)
	return nil
}

func (m *memSecrets) List(_ context.Context, opts metav1.ListOptions) (*v1.SecretList, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sel, err := labels.Parse(opts.LabelSelector)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(m.objs))
	for n := range m.objs {
		names = append(names, n)
	}
	sort.Strings(names)
	list := &v1.SecretList{}
	for _, n := range names {
		if sel.Matches(labels.Set(m.objs[n].Labels)) {
			list.Items = append(list.Items, *m.objs[n].DeepCopy())
		}
	}
	return list, nil
}

// memConfigMaps implements the parts of corev1.ConfigMapInterface that Helm's ConfigMaps driver calls.
type memConfigMaps struct {
	corev1.ConfigMapInterface
	objs map[string]*v1.ConfigMap
}

func (m *memConfigMaps) Create(_ context.Context, c *v1.ConfigMap, _ metav1.CreateOptions) (*v1.ConfigMap, error) {
	if _, ok := m.objs[c.Name]; ok {
		return nil, apierrors.NewAlreadyExists(schema.GroupResource{Resource: "configmaps"}, c.Name)
	}
	cp := c.DeepCopy()
	m.objs[c.Name] = cp
	return cp.DeepCopy(), nil
}

func (m *memConfigMaps) Get(_ context.Context, name string, _ metav1.GetOptions) (*v1.ConfigMap, error) {
	if c, ok := m.objs[name]; ok {
		return c.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func writeFile(dir, name string, data []byte) {
	must(os.WriteFile(filepath.Join(dir, name), data, 0o644))
}

// objectJSON marshals a Kubernetes object with Helm's own dependency (k8s.io/api),
// dropping the wall-clock createdAt label so regenerating gives the same bytes.
func objectJSON(labelsMap map[string]string, obj any) []byte {
	delete(labelsMap, "createdAt")
	b, err := json.MarshalIndent(obj, "", "  ")
	must(err)
	return append(b, '\n')
}

var (
	cet        = time.FixedZone("CET", 3600)
	minus0330  = time.FixedZone("", -(3*3600 + 30*60))
	t1         = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
	t2         = time.Date(2025, 3, 14, 15, 10, 0, 500000000, time.UTC)
	t3         = time.Date(2025, 6, 1, 8, 0, 0, 0, cet)
	t4         = time.Date(2025, 6, 1, 8, 0, 1, 120000, minus0330)
	chartMTime = time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC)
)

func fullChart() *chart.Chart {
	return &chart.Chart{
		Metadata: &chart.Metadata{
			Name:        "web",
			Home:        "https://example.com/web",
			Sources:     []string{"https://example.com/src"},
			Version:     "1.2.3",
			Description: "A web app <with> & markup",
			Keywords:    []string{"web", "http"},
			Maintainers: []*chart.Maintainer{{Name: "Ada", Email: "ada@example.com", URL: "https://ada.example"}, {Name: "Bob"}},
			Icon:        "https://example.com/icon.png",
			APIVersion:  "v2",
			Condition:   "web.enabled",
			Tags:        "frontend",
			AppVersion:  "2.0.0",
			Deprecated:  true,
			Annotations: map[string]string{"zeta": "last", "alpha": "first", "category": "Web"},
			KubeVersion: ">=1.29.0-0",
			Dependencies: []*chart.Dependency{
				{Name: "redis", Version: "~19.0.0", Repository: "oci://registry.example/charts", Condition: "redis.enabled", Tags: []string{"cache"}, Enabled: true, ImportValues: []interface{}{"defaults", map[string]interface{}{"child": "a", "parent": "b"}}, Alias: "cache"},
				{Name: "common", Repository: ""},
			},
			Type: "application",
		},
		Lock: &chart.Lock{
			Generated:    t1,
			Digest:       "sha256:0123456789abcdef",
			Dependencies: []*chart.Dependency{{Name: "redis", Version: "19.0.2", Repository: "oci://registry.example/charts"}},
		},
		Templates: []*chartcommon.File{
			{Name: "templates/deployment.yaml", Data: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"), ModTime: chartMTime},
			{Name: "templates/NOTES.txt", Data: []byte("Visit <http://{{ .Release.Name }}> & enjoy\n")},
			{Name: "templates/empty.yaml", Data: []byte{}},
		},
		Values: map[string]interface{}{
			"replicaCount": 3,
			"image":        map[string]interface{}{"repository": "nginx", "tag": "1.27", "pullPolicy": "IfNotPresent"},
			"ratio":        0.25,
			"enabled":      true,
			"nothing":      nil,
			"list":         []interface{}{1, "two", 3.5, false, nil, map[string]interface{}{"k": "v"}},
		},
		Schema:        []byte(`{"$schema":"https://json-schema.org/draft-07/schema#","type":"object"}`),
		SchemaModTime: chartMTime,
		Files: []*chartcommon.File{
			{Name: "README.md", Data: []byte("# web\n\nUnicode: héllo ✓ 🚀\n"), ModTime: chartMTime},
			{Name: "files/blob.bin", Data: []byte{0x00, 0xff, 0xfe, 0x1f, 0x8b, 0x08, 0x80}},
		},
		ModTime: chartMTime,
	}
}

func minimalChart() *chart.Chart {
	return &chart.Chart{
		Metadata: &chart.Metadata{Name: "tiny", Version: "0.1.0", APIVersion: "v2"},
		Templates: []*chartcommon.File{
			{Name: "templates/cm.yaml", Data: []byte("kind: ConfigMap\n")},
		},
	}
}

type fixture struct {
	id  string
	rel *rspb.Release
}

func fixtures() []fixture {
	hooks := []*rspb.Hook{
		{
			Name:     "web-migrate",
			Kind:     "Job",
			Path:     "web/templates/migrate-job.yaml",
			Manifest: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: web-migrate\n  annotations:\n    \"helm.sh/hook\": pre-install,pre-upgrade\n",
			Events:   []rspb.HookEvent{rspb.HookPreInstall, rspb.HookPreUpgrade},
			LastRun: rspb.HookExecution{
				StartedAt:   t1,
				CompletedAt: t2,
				Phase:       rspb.HookPhaseSucceeded,
			},
			Weight:            -5,
			DeletePolicies:    []rspb.HookDeletePolicy{rspb.HookBeforeHookCreation, rspb.HookSucceeded},
			OutputLogPolicies: []rspb.HookOutputLogPolicy{rspb.HookOutputOnFailed},
		},
		{
			Name:     "web-test",
			Kind:     "Pod",
			Path:     "web/templates/tests/test.yaml",
			Manifest: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-test\n",
			Events:   []rspb.HookEvent{rspb.HookTest},
		},
		{
			Name:    "web-cleanup",
			Kind:    "Job",
			Path:    "web/templates/cleanup.yaml",
			Events:  []rspb.HookEvent{rspb.HookPreDelete, rspb.HookPostDelete, rspb.HookPostInstall, rspb.HookPostUpgrade, rspb.HookPreRollback, rspb.HookPostRollback},
			LastRun: rspb.HookExecution{StartedAt: t3, Phase: rspb.HookPhaseFailed},
			Weight:  10,
		},
	}
	config := map[string]interface{}{
		"replicaCount": 5,
		"big":          1e21,
		"tiny":         1e-7,
		"wide":         1e20,
		"neg":          -42.5,
		"pi":           3.141592653589793,
		"markup":       "<b>Tom & Jerry</b>",
		"seps":         "a\u2028b\u2029c",
		"ctrl":         "tab\tnl\ncr\rbell\x07bs\bff\fdel\x7f",
		"quote":        `say "hi" \o/`,
		"unicode":      "héllo ✓ 🚀",
		"nested":       map[string]interface{}{"z": []interface{}{}, "a": map[string]interface{}{}, "m": nil},
	}
	return []fixture{
		{"deployed-ssa-hooks", &rspb.Release{
			Name: "web",
			Info: &rspb.Info{
				FirstDeployed: t1,
				LastDeployed:  t2,
				Description:   "Upgrade complete",
				Status:        common.StatusDeployed,
				Notes:         "Visit <http://web> & enjoy\n",
			},
			Chart:       fullChart(),
			Config:      config,
			Manifest:    "---\n# Source: web/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
			Hooks:       hooks,
			Version:     2,
			Namespace:   namespace,
			Labels:      map[string]string{"team": "core", "example.com/tier": "gold"},
			ApplyMethod: string(rspb.ApplyMethodServerSideApply),
		}},
		{"superseded-csa", &rspb.Release{
			Name: "web",
			Info: &rspb.Info{
				FirstDeployed: t1,
				LastDeployed:  t1,
				Description:   "Install complete",
				Status:        common.StatusSuperseded,
			},
			Chart:       fullChart(),
			Config:      map[string]interface{}{"replicaCount": 2},
			Manifest:    "---\n# Source: web/templates/deployment.yaml\nkind: Deployment\n",
			Version:     1,
			Namespace:   namespace,
			ApplyMethod: string(rspb.ApplyMethodClientSideApply),
		}},
		{"uninstalled-offsets", &rspb.Release{
			Name: "old",
			Info: &rspb.Info{
				FirstDeployed: t3,
				LastDeployed:  t4,
				Deleted:       t4,
				Description:   "Uninstallation complete",
				Status:        common.StatusUninstalled,
			},
			Chart:     minimalChart(),
			Config:    map[string]interface{}{},
			Manifest:  "kind: ConfigMap\n",
			Version:   7,
			Namespace: namespace,
		}},
		{"pending-install-bare", &rspb.Release{
			Name:      "bare",
			Info:      &rspb.Info{Status: common.StatusPendingInstall},
			Chart:     &chart.Chart{},
			Version:   1,
			Namespace: namespace,
		}},
	}
}

// pruneStep is one Storage.Create call of the history-max scenario and the revisions left after it.
type pruneStep struct {
	Version   int    `json:"version"`
	Status    string `json:"status"`
	Remaining []int  `json:"remaining"`
}

type pruneScenario struct {
	MaxHistory int         `json:"max_history"`
	Steps      []pruneStep `json:"steps"`
}

// prune runs Helm's Storage with MaxHistory over the Secrets driver and records what survives.
func prune(maxHistory int, statuses []common.Status) pruneScenario {
	mem := newMemSecrets()
	st := storage.Init(driver.NewSecrets(mem))
	st.MaxHistory = maxHistory
	out := pruneScenario{MaxHistory: maxHistory}
	for i, s := range statuses {
		rel := &rspb.Release{Name: "app", Namespace: namespace, Version: i + 1, Info: &rspb.Info{Status: s}, Chart: minimalChart()}
		must(st.Create(rel))
		var left []int
		h, err := st.History("app")
		must(err)
		for _, r := range h {
			left = append(left, r.(*rspb.Release).Version)
		}
		sort.Ints(left)
		out.Steps = append(out.Steps, pruneStep{Version: i + 1, Status: string(s), Remaining: left})
	}
	return out
}

// verify reads the Secret and ConfigMap objects Rudder wrote (rudderDir/<id>.secret.json,
// <id>.configmap.json) with Helm's own drivers and checks that Helm sees the same release as
// in goldenDir/<id>.json, with the user labels listed in rudderDir/<id>.labels.json.
func verify(goldenDir, rudderDir string) {
	for _, f := range fixtures() {
		want, err := os.ReadFile(filepath.Join(goldenDir, f.id+".json"))
		must(err)
		var wantLabels map[string]string
		b, err := os.ReadFile(filepath.Join(rudderDir, f.id+".labels.json"))
		must(err)
		must(json.Unmarshal(b, &wantLabels))
		key := fmt.Sprintf("sh.helm.release.v1.%s.v%d", f.rel.Name, f.rel.Version)

		var sec v1.Secret
		b, err = os.ReadFile(filepath.Join(rudderDir, f.id+".secret.json"))
		must(err)
		must(json.Unmarshal(b, &sec))
		secrets := newMemSecrets()
		secrets.objs[sec.Name] = &sec
		fromSecret, err := driver.NewSecrets(secrets).Get(key)
		must(err)

		var cm v1.ConfigMap
		b, err = os.ReadFile(filepath.Join(rudderDir, f.id+".configmap.json"))
		must(err)
		must(json.Unmarshal(b, &cm))
		cms := &memConfigMaps{objs: map[string]*v1.ConfigMap{cm.Name: &cm}}
		fromConfigMap, err := driver.NewConfigMaps(cms).Get(key)
		must(err)

		for kind, got := range map[string]any{"Secret": fromSecret, "ConfigMap": fromConfigMap} {
			js, err := json.Marshal(got)
			must(err)
			if string(js) != string(want) {
				must(fmt.Errorf("%s: Helm reads a different release from Rudder's %s:\n got %s\nwant %s", f.id, kind, js, want))
			}
			labels := got.(*rspb.Release).Labels
			if fmt.Sprint(labels) != fmt.Sprint(wantLabels) {
				must(fmt.Errorf("%s: Helm reads labels %v from Rudder's %s, want %v", f.id, labels, kind, wantLabels))
			}
		}
		if sec.Type != "helm.sh/release.v1" {
			must(fmt.Errorf("%s: Secret type %q", f.id, sec.Type))
		}
		fmt.Printf("ok %s: Helm 4.1.4 reads Rudder's Secret and ConfigMap\n", f.id)
	}
}

// chartFiles is the content of the web-0.1.0.tgz fixture, in archive order.
var chartFiles = []struct{ name, data string }{
	{"web/Chart.yaml", `apiVersion: v2
name: web
version: 0.1.0
appVersion: "1.16.0"
description: A web app & <friends>
type: application
kubeVersion: ">=1.29.0-0"
home: https://example.com
keywords: [web, http]
maintainers:
  - name: Ada
    email: ada@example.com
annotations:
  example.com/zeta: "z"
  example.com/alpha: "a"
dependencies:
  - name: redis
    version: 19.0.2
    repository: file://charts/redis
    condition: redis.enabled
    tags: [cache]
    import-values: [defaults]
`},
	{"web/Chart.lock", `dependencies:
- name: redis
  repository: file://charts/redis
  version: 19.0.2
digest: sha256:abc123
generated: "2025-01-02T03:04:05.123456789Z"
`},
	{"web/values.yaml", `replicaCount: 3
ratio: 0.5
enabled: true
name: "web & co"
list: [1, two, 3.25]
empty: {}
nothing: null
image:
  tag: "1.27"
  repository: nginx
redis:
  enabled: false
`},
	{"web/values.schema.json", `{"type":"object","properties":{"replicaCount":{"type":"integer"}}}
`},
	{"web/templates/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"},
	{"web/templates/_helpers.tpl", "{{- define \"web.name\" -}}web{{- end -}}\n"},
	{"web/templates/NOTES.txt", "Thanks for installing <web>!\n"},
	{"web/README.md", "# web\n"},
	{"web/files/config.txt", "key=value\n"},
	{"web/charts/redis/Chart.yaml", "apiVersion: v2\nname: redis\nversion: 19.0.2\n"},
	{"web/charts/redis/templates/svc.yaml", "kind: Service\n"},
}

// writeChartArchive writes the web chart as a .tgz with fixed modification times.
func writeChartArchive(path string) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for i, f := range chartFiles {
		must(tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Mode:     0o644,
			Size:     int64(len(f.data)),
			ModTime:  time.Unix(1735787045+int64(i)*60, 0),
			Format:   tar.FormatUSTAR,
		}))
		_, err := tw.Write([]byte(f.data))
		must(err)
	}
	must(tw.Close())
	must(gz.Close())
	must(os.WriteFile(path, buf.Bytes(), 0o644))
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "verify" {
		verify(os.Args[2], os.Args[3])
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen <output-dir> | gen verify <golden-dir> <rudder-dir>")
		os.Exit(2)
	}
	dir := os.Args[1]
	must(os.MkdirAll(dir, 0o755))

	for _, f := range fixtures() {
		// (a) the JSON exactly as encodeRelease marshals it.
		js, err := json.Marshal(f.rel)
		must(err)
		writeFile(dir, f.id+".json", js)

		key := fmt.Sprintf("sh.helm.release.v1.%s.v%d", f.rel.Name, f.rel.Version)

		// (b)+(c) the Secret as Helm's Secrets driver creates it.
		secrets := newMemSecrets()
		must(driver.NewSecrets(secrets).Create(key, f.rel))
		sec := secrets.objs[key]
		writeFile(dir, f.id+".release", sec.Data["release"])
		writeFile(dir, f.id+".secret.json", objectJSON(sec.Labels, sec))

		// Helm must read its own record back (sanity check of the fixture).
		back, err := driver.NewSecrets(secrets).Get(key)
		must(err)
		js2, err := json.Marshal(back)
		must(err)
		if string(js2) != string(js) {
			must(fmt.Errorf("%s: Helm's own round trip changed the JSON", f.id))
		}

		// (c) the ConfigMap as Helm's ConfigMaps driver creates it.
		cms := &memConfigMaps{objs: map[string]*v1.ConfigMap{}}
		must(driver.NewConfigMaps(cms).Create(key, f.rel))
		cm := cms.objs[key]
		writeFile(dir, f.id+".configmap.json", objectJSON(cm.Labels, cm))
	}

	// A chart archive loaded by Helm's loader, as a release stores it.
	archive := filepath.Join(dir, "web-0.1.0.tgz")
	writeChartArchive(archive)
	loaded, err := loader.Load(archive)
	must(err)
	chartJSON, err := json.Marshal(loaded)
	must(err)
	writeFile(dir, "loaded-chart.json", chartJSON)

	scenarios := []pruneScenario{
		prune(3, []common.Status{common.StatusSuperseded, common.StatusDeployed, common.StatusFailed, common.StatusFailed, common.StatusFailed, common.StatusFailed}),
		prune(2, []common.Status{common.StatusSuperseded, common.StatusSuperseded, common.StatusSuperseded, common.StatusDeployed, common.StatusPendingUpgrade}),
		prune(1, []common.Status{common.StatusDeployed, common.StatusFailed, common.StatusFailed}),
	}
	b, err := json.MarshalIndent(scenarios, "", "  ")
	must(err)
	writeFile(dir, "history-max.json", append(b, '\n'))
}
