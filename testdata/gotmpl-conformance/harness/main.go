// Command harness runs every conformance case under ../cases with Go's real text/template and writes
// the output (or error text) to ../golden/<case>.out. Standard library only.
//
// Case file format (see ../README.md): header lines "key: value" (numbers, missingkey, exec, object),
// then sections introduced by "-- name --" lines: "data" holds JSON, every other section is a template
// text parsed in file order as root.New(name).Parse(text); one trailing newline of each section is
// dropped.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

type section struct {
	name string
	body string
}

type testCase struct {
	header   map[string]string
	sections []section
}

func parseCase(text string) (testCase, error) {
	tc := testCase{header: map[string]string{}}
	lines := strings.SplitAfter(text, "\n")
	var cur *section
	for _, line := range lines {
		trimmed := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) >= 6 {
			tc.sections = append(tc.sections, section{name: trimmed[3 : len(trimmed)-3]})
			cur = &tc.sections[len(tc.sections)-1]
			continue
		}
		if cur == nil {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			k, v, ok := strings.Cut(trimmed, ":")
			if !ok {
				return tc, fmt.Errorf("bad header line %q", trimmed)
			}
			tc.header[strings.TrimSpace(k)] = strings.TrimSpace(v)
			continue
		}
		cur.body += line
	}
	for i := range tc.sections {
		tc.sections[i].body = strings.TrimSuffix(tc.sections[i].body, "\n")
	}
	return tc, nil
}

// Obj is a host object with fields and methods, mirrored by the Rust test's TestObj.
type Obj struct {
	Name  string
	Count int
}

func (o *Obj) Has(s string) bool     { return s == "x" }
func (o *Obj) Greet() string         { return "hello " + o.Name }
func (o *Obj) Get(s string) string   { return o.Name + "/" + s }
func (o *Obj) Fail() (string, error) { return "", errors.New("obj failed") }
func (o *Obj) Sum(a, b int) int      { return a + b }

// funcs returns the test functions; include and tpl call back into root as Helm's do.
// VersionSet is a named slice type with a method, like Helm's chartutil.VersionSet.
type VersionSet []string

// Has reports whether s is in the set.
func (v VersionSet) Has(s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

// Values is a named map type with a method, like Helm's chartutil.Values.
type Values map[string]interface{}

// YAML returns a marker string.
func (v Values) YAML() string { return "yaml!" }

func funcs(root **template.Template) template.FuncMap {
	return template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			var b bytes.Buffer
			err := (*root).ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"tpl": func(text string, data interface{}) (string, error) {
			t, err := (*root).Clone()
			if err != nil {
				return "", err
			}
			if _, err := t.New("tpl").Parse(text); err != nil {
				return "", err
			}
			var b bytes.Buffer
			err = t.ExecuteTemplate(&b, "tpl", data)
			return b.String(), err
		},
		"upper":   strings.ToUpper,
		"repeat":  func(s string, n int) string { return strings.Repeat(s, n) },
		"fail":    func(msg string) (string, error) { return "", errors.New(msg) },
		"add":     func(a, b int) int { return a + b },
		"addf":    func(a, b float64) float64 { return a + b },
		"list":    func(items ...interface{}) []interface{} { return items },
		"nilfn":   func() interface{} { return nil },
		"toint64": func(x int) int64 { return int64(x) },
		"flag":    func(b bool) string { return fmt.Sprint(b) },
		"double":  func() func(int) int { return func(x int) int { return 2 * x } },
		"set": func(d map[string]interface{}, k string, v interface{}) map[string]interface{} {
			d[k] = v
			return d
		},
		"dict": func(kv ...interface{}) map[string]interface{} {
			m := map[string]interface{}{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
}

func toInts(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]interface{}:
		for k, e := range x {
			x[k] = toInts(e)
		}
		return x
	case []interface{}:
		for i, e := range x {
			x[i] = toInts(e)
		}
		return x
	}
	return v
}

func run(tc testCase) (string, error) {
	var root *template.Template
	root = template.New("root").Funcs(funcs(&root))
	if mk := tc.header["missingkey"]; mk != "" {
		root.Option("missingkey=" + mk)
	}
	var data interface{}
	for _, s := range tc.sections {
		if s.name == "data" {
			dec := json.NewDecoder(strings.NewReader(s.body))
			if tc.header["numbers"] == "int" {
				dec.UseNumber()
			}
			if err := dec.Decode(&data); err != nil {
				return "", fmt.Errorf("harness: bad data: %w", err)
			}
			if tc.header["numbers"] == "int" {
				data = toInts(data)
			}
			continue
		}
		if _, err := root.New(s.name).Parse(s.body); err != nil {
			return "", err
		}
	}
	if tc.header["object"] == "true" {
		m, ok := data.(map[string]interface{})
		if !ok {
			m = map[string]interface{}{}
			data = m
		}
		m["Obj"] = &Obj{Name: "obj", Count: 3}
		m["Versions"] = VersionSet{"v1", "apps/v1"}
		m["Vals"] = Values{"a": 1.0, "b": "x"}
	}
	name := tc.header["exec"]
	if name == "" {
		name = "main"
	}
	var out bytes.Buffer
	if err := root.ExecuteTemplate(&out, name, data); err != nil {
		return "", err
	}
	return out.String(), nil
}

func main() {
	dir := ".."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	paths, err := filepath.Glob(filepath.Join(dir, "cases", "*.txt"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sort.Strings(paths)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		tc, err := parseCase(string(raw))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", p, err)
			os.Exit(1)
		}
		out, runErr := run(tc)
		var golden string
		if runErr != nil {
			if strings.HasPrefix(runErr.Error(), "harness:") {
				fmt.Fprintf(os.Stderr, "%s: %v\n", p, runErr)
				os.Exit(1)
			}
			golden = "error\n" + runErr.Error()
		} else {
			golden = "ok\n" + out
		}
		name := strings.TrimSuffix(filepath.Base(p), ".txt")
		if err := os.WriteFile(filepath.Join(dir, "golden", name+".out"), []byte(golden), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("wrote %d goldens\n", len(paths))
}
