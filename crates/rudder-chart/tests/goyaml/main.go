// Command goyamlgolden regenerates expected.json: for each case document (JSON), the YAML
// that Helm writes for it when it packages a chart (sigs.k8s.io/yaml.JSONToYAML, the
// second half of sigs.k8s.io/yaml.Marshal, which Helm's chartutil.Save uses).
//
// Usage (from this directory): go run . > expected.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

type golden struct {
	Input json.RawMessage `json:"input"`
	YAML  string          `json:"yaml"`
}

func main() {
	long := "A chart used to compare packaging with helm package, byte for byte, including words"
	values := []interface{}{
		"plain", "1.2.3", "1.0", "yes", "No", "~", "null", "", " ", "  two", "x ", "0x1F", "0o17",
		"012", "1e3", "1_000", ".5", "+1", "-", "- a", "? x", "key: v", "#c", "a #c", "a#b",
		"@x", "`x", "%x", "---", "...x", "2001-12-14", "2001-12-14 21:59:43.10",
		"2001-12-14T21:59:43Z", "12:30", "190:20:30", "1:2", "<<", "=", "!x", "&a", "*a", "|",
		">", "[a]", "{a}", "a,b", "tab\tx", "quote\"x", "back\\x", "single'quote", "\u00a0nbsp",
		"ünïcödé", "rocket \U0001F680", "bell\a", "a\n", "a", "a\n\n", "\n", " lead\nx\n",
		"trail \nx", "x\ny", "x\n\ny\n", "line one\n  indented\nlast",
		long + " " + long, long + ": " + long, long + "\t" + long, long + "  double  spaces  " + long,
		strings.Repeat("x", 100) + " " + strings.Repeat("y", 10),
		true, false, nil, 1, -7, 1.5, 1e21, 123456789.125, []interface{}{}, map[string]interface{}{},
	}
	keys := []string{"yes", "1", "a b", "a: b", "", "-x", "n", "Chart", "_x", "a10", "a2", "#k", "ü"}
	var cases []interface{}
	for _, v := range values {
		cases = append(cases, map[string]interface{}{
			"k": v,
			"m": map[string]interface{}{"k": v},
			"l": []interface{}{v, map[string]interface{}{"a": v, "b": []interface{}{v}}},
		})
	}
	km := map[string]interface{}{}
	for _, k := range keys {
		km[k] = k
	}
	cases = append(cases, km)
	var out []golden
	for _, c := range cases {
		j, err := json.Marshal(c)
		if err != nil {
			panic(err)
		}
		y, err := yaml.JSONToYAML(j)
		if err != nil {
			panic(err)
		}
		out = append(out, golden{Input: j, YAML: string(y)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
