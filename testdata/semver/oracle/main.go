// Command semver-oracle evaluates Masterminds/semver v3 (the version Helm 4.1.4 pins) and Helm
// 4.1.4's version lookups (OCI tags, repository index) on the tables below and writes the results
// as JSON goldens for crates/rudder-semver.
//
// Usage: go run . OUTDIR   (scripts/goldens/semver.sh runs it)
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/Masterminds/semver/v3"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Version inputs: parsed leniently (NewVersion) and strictly (StrictNewVersion).
var versions = []string{
	"1.2.3", "v1.2.3", "1.2", "v1.2", "1", "v1", "0", "0.0.0", "0.0", "V1.2.3",
	"1.2.3-alpha", "1.2.3-alpha.1", "1.2.3-alpha.beta", "1.2.3-0", "1.2.3-0.3.7", "1.2.3-x.7.z.92",
	"1.2.3+build", "1.2.3+build.5", "1.2.3-beta+exp.sha.5114f85", "1.2.3+001", "1.2.3-rc.1+meta",
	"v1.2.3-rc.1+meta", "1.2-beta", "1-beta", "v1.2-beta+b", "1.2+meta",
	"01.2.3", "1.02.3", "1.2.03", "00.0.0", "v01.2", "1.2.3-01", "1.2.3-alpha.01", "1.2.3-00",
	"1.2.3-", "1.2.3+", "1.2.3-alpha..1", "1.2.3+meta..x", "1.2.3-al_pha", "1.2.3+me_ta",
	"1.2.3.4", "1.2.3.", ".1.2", "a.b.c", "", " 1.2.3", "1.2.3 ", "vv1.2.3", "v", "1..2",
	"1.2.x", "1.x", "*", "x", "1.2.3-alpha.beta.1-2", "1.2.3--", "1.2.3---x", "1.2.3-a-b+c-d",
	"18446744073709551615.0.0", "18446744073709551616.0.0", "1.18446744073709551616.0", "99999999999999999999999",
	"1.2.3-18446744073709551616", "1.2.3-99999999999999999999", "1.27.0-gke.100", "v1.30.2+k3s1",
	"1.2.3-rc1", "1.2.3-RC1", "4.1.4", "v4.1.4", "0.1.0-0", "1.0.0-0.0", "1.2.3-é", "1.2.3+é", "１.2.3",
	"1.2.3\n", "2.0.0-beta_1", "1.2.3-0a", "1.2.3-0.a", "1.2.3-00a", "1.2-01",
}

// Pairs compared with Version.Compare (both parsed with NewVersion).
var comparisons = [][2]string{
	{"1.2.3", "1.2.3"}, {"1.2.3", "1.2.4"}, {"1.3.0", "1.2.9"}, {"2.0.0", "10.0.0"}, {"v1.2.3", "1.2.3"},
	{"1.2", "1.2.0"}, {"1", "1.0.0"}, {"1.2.3+a", "1.2.3+b"}, {"1.2.3-alpha", "1.2.3"},
	{"1.0.0-alpha", "1.0.0-alpha.1"}, {"1.0.0-alpha.1", "1.0.0-alpha.beta"}, {"1.0.0-alpha.beta", "1.0.0-beta"},
	{"1.0.0-beta", "1.0.0-beta.2"}, {"1.0.0-beta.2", "1.0.0-beta.11"}, {"1.0.0-beta.11", "1.0.0-rc.1"},
	{"1.0.0-rc.1", "1.0.0"}, {"1.0.0-2", "1.0.0-10"}, {"1.0.0-a", "1.0.0-1"}, {"1.0.0-1", "1.0.0-a"},
	{"1.0.0-A", "1.0.0-a"}, {"1.0.0-rc1", "1.0.0-rc10"}, {"1.0.0-rc2", "1.0.0-rc10"},
	{"1.0.0-99999999999999999999", "1.0.0-1"}, {"1.0.0-99999999999999999999", "1.0.0-a"},
	{"1.0.0-alpha.1.2", "1.0.0-alpha.1"}, {"1.0.0-x-y", "1.0.0-x"}, {"1.0.0-0", "1.0.0-00a"},
	{"01.02.03", "1.2.3"}, {"1.2.3-alpha+x", "1.2.3-alpha+y"}, {"1.2.3-a.b", "1.2.3-a.b"},
	{"0.0.0-0", "0.0.0"}, {"18446744073709551615.0.0", "1.0.0"}, {"1.2.3-a.10", "1.2.3-a.9"},
	{"1.2.3-a.-", "1.2.3-a.0"}, {"1.2.3--", "1.2.3-0"}, {"1.2.3-Z", "1.2.3-a"},
}

// Constraints checked against every version in checkVersions.
var constraints = []string{
	"1.2.3", "=1.2.3", "= 1.2.3", "v1.2.3", "=v1.2.3", "1.2", "1", "=1.2", "1.2.3+meta", "1.2.3-alpha",
	"!=1.2.3", "!= 1.2", "!=1", "!=1.x", "!=1.2.x", "!=1.2.3-alpha", "!=1.2.x-alpha",
	">1.2.3", "> 1.2", ">1", ">1.x", ">1.2.x", ">1.2.3-alpha", ">0.0.0-0", ">*",
	"<1.2.3", "< 1.2", "<2", "<2.x", "<1.2.3-beta", "<0.0.0",
	">=1.2.3", "=>1.2.3", ">= 1.2", ">=1", ">=1.2.3-alpha", ">=1.2.x", ">=0",
	"<=1.2.3", "=<1.2.3", "<= 1.2", "<=1", "<=1.x", "<=1.2.x", "<=1.2.3-beta",
	"~1.2.3", "~>1.2.3", "~1.2", "~1", "~1.x", "~0", "~0.0", "~0.0.0", "~1.2.3-alpha", "~ 1.2.3", "~v1.2",
	"^1.2.3", "^1.2", "^1", "^0.2.3", "^0.2", "^0.0.3", "^0.0", "^0", "^1.x", "^0.x", "^0.0.x", "^0.0.0",
	"^1.2.3-alpha", "^0.0.3-beta", "^ 1.2.3", "^v1.2.3",
	"*", "x", "X", "1.x", "1.X", "1.*", "1.2.x", "1.2.*", "v1.x", "*.*.*", "x.x", "1.x.3", "1.x-alpha", "*-0",
	"1.2 - 1.4.5", "1.2.3 - 2.3.4", "1.2.3-alpha - 1.2.4", "v1.2 - v2", "1 - 2", "1.x - 2.x", "1.2.3 - 2.3.4 || 3.0.0",
	"1.2-1.4", "1.2 -1.4", ">= 1.2 - 1.4",
	">=1.2.3 <2.0.0", ">=1.2.3, <2.0.0", ">=1.2.3,<2.0.0", ">= 1.2.3 , < 2.0.0", ">=1.2 <=1.4", ">1.0 <1.3 !=1.2.1",
	"^1.2 || ^2.0", "~1.2.3 || >=3.0.0", "<1.0.0 || >=2.0.0-0", "1.2.3 || 1.2.4", ">=1.2.3-alpha <1.3.0 || 2.x",
	"^1.2.3-0 || ^2", " >=1.2.3 ", "\t^1.2\t", ">=1.2.3\n<2", ">=1.2.3 <2.0.0 || >=3.0.0 <4.0.0",
	"", " ", "||", "^1.2 ||", "|| ^1.2", "^1.2 | ^2", "^1.2 or ^2", "1.2.3.4", ">=abc", "1.2x", "1.x.x.x",
	">== 1.2", "!1.2", "<>1.2", "~=1.2", ">=1.2.3,,<2", ">=1.2.3 ,", ">=1.2.3-", "01.2.3", "^01.2", "1.2.3-01",
	"1|2", ">= 1.2.3 ||< 1.0", "=~1.2", "1.2.3+build.x", ">1.2.3+meta", "18446744073709551616", ">=1.2.3 <=1.2.3",
	"^0.0.0-0", ">=0.0.0-0", ">=1.27.0-0", ">=1.22.0-0 <1.31.0-0", "~1.28.0-0", "<1.2.3-0",
}

var checkVersions = []string{
	"1.2.3", "v1.2.3", "1.2.4", "1.2.0", "1.3.0", "1.0.0", "0.9.9", "2.0.0", "3.1.0", "0.2.5", "0.0.3", "0.0.4",
	"0.3.0", "0.0.0", "1.2.3-alpha", "1.2.3-beta", "1.2.4-alpha", "2.0.0-alpha", "0.0.3-beta", "1.2.3+meta",
	"1.2", "1", "1.28.4-gke.100", "1.30.2+k3s1",
}

// Extra hand-picked pairs.
var extraPairs = [][2]string{
	{">=1.2.3", "bogus"}, {"^1.2", ""}, {"1.2.3", "1.2.3.4"}, {">1.2", "01.3.0"},
	{"<=1.2", "1.2.99"}, {"<=1.2", "1.3.0"}, {">1.2", "1.2.99"}, {">1.2", "1.3.0"}, {">1", "1.99.0"},
	{"!=1.2.x-alpha", "1.2.5-alpha"}, {"!=1.2.x-alpha", "1.2.5-beta"}, {"!=1.2.x", "1.2.5"}, {"!=1.2.x", "1.3.5"},
	{"~0.0.0", "5.0.0"}, {"~0", "0.9.0"}, {"~0", "1.0.0"}, {"^0.0.x", "0.0.9"}, {"^0.0.x", "0.1.0"},
	{"^0.x", "0.9.0"}, {"^0.x", "1.0.0"}, {"^0.0", "0.0.9"}, {"^0.0", "0.1.0"}, {"*", "1.0.0-alpha"},
	{"*-0", "1.0.0-alpha"}, {"1.x-alpha", "1.5.0-beta"}, {">1.2.3-alpha", "1.2.3-beta"}, {">1.2.3-alpha", "1.2.4-alpha"},
	{">1.2.3-alpha", "1.3.0-alpha"}, {"^1.2.3-alpha", "1.9.0-rc.1"}, {"<1.2.3-beta", "1.2.3-alpha"},
	{">=1.27.0-0", "1.27.0-gke.100"}, {">=1.27.0-0", "v1.28.3"}, {">=1.22.0-0 <1.31.0-0", "1.31.0-0"},
	{">=1.22.0-0 <1.31.0-0", "1.30.99-rc.1"},
	// Regular-expression corner cases: repeated hyphen ranges, Go's ASCII-only \s (no \v, no
	// U+00A0), operators split by spaces, metadata and oversized numbers in constraints.
	{"1.2 - 1.4 || 1.2 - 1.4", "1.3.0"}, {"1.2 - 1.4 || 1.2 - 1.4", "1.5.0"}, {"1.0 - 2.0 , <1.5", "1.6.0"},
	{"1.2\t-\t2", "1.9.0"}, {"1.2 -  2 ", "2.5.0"}, {"v1.2.3 - v1.3", "1.3.5"}, {"1.2.3+b - 2", "2.0.0"},
	{">=1.2.3\v<2", "1.5.0"}, {">=1.2.3\u00a0<2", "1.5.0"}, {">=1.2.3\r\n<2", "1.5.0"}, {"> = 1.2", "1.3.0"},
	{"~ >1.2", "1.2.5"}, {"=1.2.3||=1.2.4", "1.2.4"}, {"1 || 2 || 3", "3.5.0"}, {" || ", "1.0.0"},
	{"1.2.3 ||  ", "1.2.3"}, {"1.2.3 1.2.4", "1.2.3"}, {"!=1.2.3 !=1.2.4", "1.2.5"}, {"!=1.2.3 !=1.2.4", "1.2.4"},
	{"1.2.3,1.2.3", "1.2.3"}, {"x.1.2", "5.0.0"}, {"1.*.3-beta", "1.0.0-beta"}, {"1.*.3-beta", "1.5.0"},
	{"1.*.3-beta", "0.9.0"}, {"^1.2.3+meta", "1.2.3"}, {"~1.2.3+meta", "1.2.9+other"}, {"1.2.18446744073709551616", "1.2.3"},
	{"18446744073709551615", "18446744073709551615.9.9"}, {"~18446744073709551615.1", "18446744073709551615.1.1"},
	{"<=1.2.x-alpha", "1.2.9-beta"}, {"<=*", "99.0.0"}, {">=*", "0.0.0"}, {"<*", "0.0.0"}, {"<1.x", "1.0.0-alpha"},
	{"=*", "3.0.0"}, {"^*", "3.0.0"}, {"~*", "3.0.0"}, {"!=*", "0.0.0"}, {"!=*", "0.1.0"}, {"!=x.x.x", "1.0.0"},
	{"^0.0.0-0", "0.0.0-rc"}, {"~0.0.0-0", "5.0.0-rc"}, {"vx", "1.0.0"}, {"v*", "1.0.0"}, {"V1.2", "1.2.0"},
	{">=v1.2.3-beta.2", "1.2.3-beta.10"}, {">=v1.2.3-beta.2", "1.2.3-beta.1"}, {"<1.2.3-beta.2 || ^2.0.0-0", "2.1.0-rc.1"},
	{">1.2.3-rc.1 <1.2.3", "1.2.3-rc.2"}, {">1.2.3-rc.1 <1.2.3", "1.2.3"}, {"1.2.3-rc.1", "1.2.3-rc.1+build"},
	{"!=1.2.3-rc.1", "1.2.3-rc.1"}, {"!=1.2.3-rc.1", "1.2.3-rc.2"}, {"^1.2.3", "v1.9.9+x"}, {"^1.2.3", "1.2"},
	{"~1", "1"}, {">=1.2,", "1.2.0"}, {",>=1.2", "1.2.0"}, {">=1.2 ,<2", "1.5.0"}, {">=1.2, <2", "1.5.0"},
	{"1.2.3 - 2.3.4 - 3.4.5", "2.0.0"}, {"1.2.3 - ", "1.2.3"}, {" - 1.2.3", "1.2.3"}, {"1.2.3 -- 1.3", "1.2.3"},
	{"^1.2 || ^2.0", "1.3.0-beta.1"}, {">=1.22.0-0 <1.31.0-0", "v1.30.2+k3s1"},
	{"1.2.3-alpha - 1.2.3-beta", "1.2.3-alpha.5"}, {"1.2.3-alpha - 1.2.3-beta", "1.2.3-rc"},
}

// Candidate lists (in the order Helm would see them) and requested versions for the lookups.
var candidateLists = [][]string{
	{"2.1.0", "2.0.0", "1.3.0-rc.1", "1.2.3", "1.2.0", "v1.1.0", "1.0.0", "0.9.0"},
	{"3.0.0-beta.2", "3.0.0-beta.1", "2.0.0+build.2", "2.0.0", "not-a-version", "1.0.0"},
	{"1.0.0", "2.0.0", "1.5.0"},
	{"latest", "^1", ">=abc", "1.0", "1.0.0"},
	{},
}

var requests = []string{
	"", "*", "2.0.0", "1.2.3", "v1.1.0", "1.1.0", "^1", "~1.2", "1.x", ">=1.0.0 <2.0.0", "^1.2 || ^3.0.0-0",
	">3", "latest", "^1", ">=abc", "1.0", "1.0.0", ">=3.0.0-0", "2.0.0+build.2", "1.3.0-rc.1", "=1.3.0-rc.1",
}

type lookupOut struct {
	Match *string `json:"match,omitempty"`
	None  bool    `json:"none,omitempty"`
	Error *string `json:"error,omitempty"`
}

type lookupCase struct {
	Candidates []string  `json:"candidates"`
	Requested  string    `json:"requested"`
	OCI        lookupOut `json:"oci"`
	Index      lookupOut `json:"index"`
}

func lookups() []lookupCase {
	var out []lookupCase
	for _, cands := range candidateLists {
		for _, req := range requests {
			c := lookupCase{Candidates: cands, Requested: req}
			if c.Candidates == nil {
				c.Candidates = []string{}
			}
			if tag, err := registry.GetTagMatchingVersionOrConstraint(cands, req); err == nil {
				c.OCI.Match = &tag
			} else if err.Error() == "could not locate a version matching provided version string "+req {
				c.OCI.None = true
			} else {
				msg := err.Error()
				c.OCI.Error = &msg
			}
			index := repo.IndexFile{Entries: map[string]repo.ChartVersions{"c": {}}}
			for _, v := range cands {
				index.Entries["c"] = append(index.Entries["c"], &repo.ChartVersion{Metadata: &chart.Metadata{Name: "c", Version: v}})
			}
			if len(cands) == 0 {
				// IndexFile.Get reports an empty list before looking at the request.
				c.Index.None = true
			} else if cv, err := index.Get("c", req); err == nil {
				c.Index.Match = &cv.Version
			} else if err.Error() == "no chart version found for c-"+req {
				c.Index.None = true
			} else {
				msg := err.Error()
				c.Index.Error = &msg
			}
			out = append(out, c)
		}
	}
	return out
}

type versionOut struct {
	String     string `json:"string"`
	Original   string `json:"original"`
	Major      uint64 `json:"major"`
	Minor      uint64 `json:"minor"`
	Patch      uint64 `json:"patch"`
	Prerelease string `json:"prerelease"`
	Metadata   string `json:"metadata"`
}

type parseOut struct {
	Ok    *versionOut `json:"ok,omitempty"`
	Error *string     `json:"error,omitempty"`
}

type versionCase struct {
	Input  string   `json:"input"`
	Loose  parseOut `json:"loose"`
	Strict parseOut `json:"strict"`
}

type compareCase struct {
	A       string `json:"a"`
	B       string `json:"b"`
	Compare int    `json:"compare"`
}

type constraintCase struct {
	Constraint string `json:"constraint"`
	Version    string `json:"version"`
	// ParseError is NewConstraint's error; nothing else is set when it is.
	ParseError *string `json:"parse_error,omitempty"`
	// String is Constraints.String().
	String *string `json:"string,omitempty"`
	// VersionError is NewVersion's error for Version.
	VersionError *string `json:"version_error,omitempty"`
	Check        *bool   `json:"check,omitempty"`
	// CheckIncludePrerelease is Check with IncludePrerelease = true.
	CheckIncludePrerelease *bool    `json:"check_include_prerelease,omitempty"`
	Validate               *bool    `json:"validate,omitempty"`
	ValidateErrors         []string `json:"validate_errors,omitempty"`
}

func parseVersion(s string, strict bool) parseOut {
	var v *semver.Version
	var err error
	if strict {
		v, err = semver.StrictNewVersion(s)
	} else {
		v, err = semver.NewVersion(s)
	}
	if err != nil {
		msg := err.Error()
		return parseOut{Error: &msg}
	}
	return parseOut{Ok: &versionOut{
		String: v.String(), Original: v.Original(), Major: v.Major(), Minor: v.Minor(),
		Patch: v.Patch(), Prerelease: v.Prerelease(), Metadata: v.Metadata(),
	}}
}

func evalPair(c, ver string) constraintCase {
	out := constraintCase{Constraint: c, Version: ver}
	cs, err := semver.NewConstraint(c)
	if err != nil {
		msg := err.Error()
		out.ParseError = &msg
		return out
	}
	str := cs.String()
	out.String = &str
	v, err := semver.NewVersion(ver)
	if err != nil {
		msg := err.Error()
		out.VersionError = &msg
		return out
	}
	check := cs.Check(v)
	out.Check = &check
	ok, errs := cs.Validate(v)
	out.Validate = &ok
	for _, e := range errs {
		out.ValidateErrors = append(out.ValidateErrors, e.Error())
	}
	cs.IncludePrerelease = true
	pre := cs.Check(v)
	out.CheckIncludePrerelease = &pre
	return out
}

// write stores a JSON array with one element per line, so golden diffs stay readable.
func write[T any](dir, name string, items []T) {
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i, item := range items {
		line, err := json.Marshal(item)
		if err != nil {
			panic(err)
		}
		buf.Write(line)
		if i < len(items)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		panic(err)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: semver-oracle OUTDIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	// IndexFile.Get logs a warning when it falls back from an exact match; keep the run quiet.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))

	vs := make([]versionCase, 0, len(versions))
	for _, s := range versions {
		vs = append(vs, versionCase{Input: s, Loose: parseVersion(s, false), Strict: parseVersion(s, true)})
	}
	write(dir, "versions.json", vs)

	cmp := make([]compareCase, 0, len(comparisons))
	for _, p := range comparisons {
		a, err := semver.NewVersion(p[0])
		if err != nil {
			panic(err)
		}
		b, err := semver.NewVersion(p[1])
		if err != nil {
			panic(err)
		}
		cmp = append(cmp, compareCase{A: p[0], B: p[1], Compare: a.Compare(b)})
		cmp = append(cmp, compareCase{A: p[1], B: p[0], Compare: b.Compare(a)})
	}
	write(dir, "compare.json", cmp)

	var pairs []constraintCase
	for _, c := range constraints {
		if _, err := semver.NewConstraint(c); err != nil {
			// One row is enough for a constraint that does not parse.
			pairs = append(pairs, evalPair(c, "1.2.3"))
			continue
		}
		for _, v := range checkVersions {
			pairs = append(pairs, evalPair(c, v))
		}
	}
	for _, p := range extraPairs {
		pairs = append(pairs, evalPair(p[0], p[1]))
	}
	write(dir, "constraints.json", pairs)
	write(dir, "lookups.json", lookups())
}
