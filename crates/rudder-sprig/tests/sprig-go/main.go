// Command sprig-go (Sprig v3.3.0 with Masterminds/semver v3.4.0, the versions Helm 4.1.4 resolves) renders each template of ../sprig_cases.txt (name<TAB>template per line) with
// Go's text/template and sprig.TxtFuncMap() (Sprig v3.3.0, as Helm 4.1.4 pins it) and prints a JSON
// object {name: {"output": ...} | {"error": ...}} with sorted keys. Run with TZ=UTC via
// ../regen-sprig-go.sh.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	out := map[string]map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, tpl, ok := strings.Cut(line, "\t")
		if !ok {
			panic("bad line: " + line)
		}
		t, err := template.New(name).Funcs(sprig.TxtFuncMap()).Parse(tpl)
		if err != nil {
			out[name] = map[string]string{"error": err.Error()}
			continue
		}
		var b strings.Builder
		if err := t.Execute(&b, map[string]interface{}{}); err != nil {
			out[name] = map[string]string{"error": err.Error()}
			continue
		}
		out[name] = map[string]string{"output": b.String()}
	}
	enc, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(enc))
}
