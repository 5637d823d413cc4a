// Command oracle computes, with real Go kstatus (github.com/fluxcd/cli-utils, the fork Helm 4
// uses), the status of every fixture under testdata/kstatus whose "oracle" is "kstatus", and
// prints a JSON map from fixture path to {status, message, reason} or {error}.
// The Rust test crates/rudder-kstatus/tests/fixtures.rs checks each fixture's expectation
// against this output. Regenerate with ./regenerate.sh.
//
// kstatus reads the wall clock for the Pod schedule window; to reproduce a fixture's "now",
// metadata.creationTimestamp is shifted so that its age relative to time.Now() equals its
// age relative to the fixture's "now".
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type fixture struct {
	Oracle   string          `json:"oracle"`
	Options  string          `json:"options"`
	Strategy string          `json:"strategy"`
	Now      string          `json:"now"`
	Object   json.RawMessage `json:"object"`
}

type outcome struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	root := ".."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	results := map[string]outcome{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "oracle" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var f fixture
		if err := json.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if f.Oracle != "kstatus" {
			return nil
		}
		if f.Options != "kstatus" || (f.Strategy != "" && f.Strategy != "wait") {
			return fmt.Errorf("%s: oracle fixtures must use kstatus options and the plain Compute", path)
		}
		rel, _ := filepath.Rel(root, path)
		results[filepath.ToSlash(rel)], err = computeFixture(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	keys := make([]string, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for i, k := range keys {
		v, _ := json.Marshal(results[k])
		kq, _ := json.Marshal(k)
		fmt.Fprintf(&b, "  %s: %s", kq, v)
		if i < len(keys)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	fmt.Print(b.String())
}

func computeFixture(f fixture) (outcome, error) {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(f.Object); err != nil {
		return outcome{}, err
	}
	now, err := time.Parse(time.RFC3339, f.Now)
	if err != nil {
		return outcome{}, err
	}
	if created, ok, _ := unstructured.NestedString(u.Object, "metadata", "creationTimestamp"); ok {
		c, err := time.Parse(time.RFC3339, created)
		if err != nil {
			return outcome{}, err
		}
		shifted := time.Now().Add(-now.Sub(c)).UTC().Truncate(time.Second)
		u.SetCreationTimestamp(metav1.NewTime(shifted))
	}
	res, err := status.Compute(u)
	if err != nil {
		return outcome{Error: err.Error()}, nil
	}
	out := outcome{Status: string(res.Status), Message: res.Message}
	if len(res.Conditions) > 0 {
		out.Reason = res.Conditions[0].Reason
	}
	return out, nil
}
