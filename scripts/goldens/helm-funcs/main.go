// Command helm-funcs prints the template function inventory of Helm 4.1.4, one
// "name<TAB>source" line per function, sorted by name. Sources:
//
//	go-builtin  text/template's predefined functions (verified below by parsing)
//	sprig       sprig.TxtFuncMap() of Masterminds/sprig v3.3.0 (the version pinned by
//	            helm.sh/helm/v4 v4.1.4's go.mod), minus "env" and "expandenv", which
//	            Helm deletes in pkg/engine/funcs.go funcMap()
//	            (a third column notes when a name shadows a builtin or overrides sprig)
//	helm        added or overridden by Helm: pkg/engine/funcs.go funcMap() "extra" and
//	            pkg/engine/engine.go initFunMap() (include, tpl, required, fail, lookup;
//	            getHostByName is replaced by a stub returning "" unless --enable-dns)
//
// Helm's own list is written out here by hand from those two files at tag v4.1.4.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// helmFuncs: pkg/engine/funcs.go funcMap() "extra" map, then initFunMap() overrides.
var helmFuncs = []string{
	"toToml", "fromToml", "toYaml", "mustToYaml", "toYamlPretty", "fromYaml",
	"fromYamlArray", "toJson", "mustToJson", "fromJson", "fromJsonArray",
	"include", "tpl", "required", "lookup",
	// initFunMap overrides of sprig functions:
	"fail", "getHostByName",
}

// helmDeleted: removed from sprig's map by funcMap().
var helmDeleted = []string{"env", "expandenv"}

// goBuiltins: text/template's builtins (text/template/funcs.go builtins()).
var goBuiltins = []string{
	"and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne",
	"not", "or", "print", "printf", "println", "slice", "urlquery",
}

func main() {
	// Verify each builtin name parses without a FuncMap and that a made-up one does not.
	for _, n := range goBuiltins {
		if _, err := template.New("t").Parse("{{" + n + "}}"); err != nil {
			fmt.Fprintf(os.Stderr, "not a builtin: %s: %v\n", n, err)
			os.Exit(1)
		}
	}
	if _, err := template.New("t").Parse("{{notABuiltin}}"); err == nil {
		fmt.Fprintln(os.Stderr, "builtin probe is broken")
		os.Exit(1)
	}

	src := map[string]string{}
	for n := range sprig.TxtFuncMap() {
		src[n] = "sprig"
	}
	for _, n := range helmDeleted {
		if _, ok := src[n]; !ok {
			fmt.Fprintf(os.Stderr, "sprig has no %s\n", n)
			os.Exit(1)
		}
		delete(src, n)
	}
	for _, n := range helmFuncs {
		src[n] = "helm"
	}
	// A FuncMap entry shadows a builtin of the same name (text/template looks up the
	// template's FuncMap first), so a clash keeps the sprig/helm source and notes it.
	note := map[string]string{}
	for _, n := range goBuiltins {
		if _, ok := src[n]; ok {
			note[n] = "\tshadows go-builtin"
			continue
		}
		src[n] = "go-builtin"
	}
	for _, n := range []string{"fail", "getHostByName"} {
		note[n] = "\toverrides sprig"
	}
	names := make([]string, 0, len(src))
	for n := range src {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s\t%s%s\n", n, src[n], note[n])
	}
	fmt.Print(b.String())
}
