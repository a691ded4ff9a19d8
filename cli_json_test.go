package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// runCLI runs hardfolio in this process with the clock at testNow and
// returns its standard output.
func runCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	now, err := time.Parse(time.RFC3339, testNow)
	if err != nil {
		t.Fatal(err)
	}
	cmd := newRootCmdAt(func() time.Time { return now })
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("hardfolio %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.Bytes()
}

// jsonKeys lists the key paths of a JSON document: "a", "a.b", and "a[].b"
// for the keys of objects in the array a.
func jsonKeys(t *testing.T, data []byte, into map[string]bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, data)
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				into[p] = true
				walk(e, p)
			}
		case []any:
			for _, e := range x {
				walk(e, path+"[]")
			}
		}
	}
	walk(v, "")
}

// documentedKeys reads docs/cli.md: the first column of the tables under
// each heading that heading matches (its first group names the command),
// by command.
func documentedKeys(t *testing.T, heading *regexp.Regexp) map[string]map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join("docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	docs := map[string]map[string]bool{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			section = ""
			if m := heading.FindStringSubmatch(line); m != nil {
				section = m[1]
				docs[section] = map[string]bool{}
			}
			continue
		}
		if m := row.FindStringSubmatch(line); m != nil && section != "" {
			docs[section][m[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestJSONKeysDocumented checks that every key the JSON outputs emit is
// documented in docs/cli.md, and that every documented key is emitted. The
// outputs are taken from the demo and from a portfolio with a holding of
// every kind, so that the keys of every kind appear.
func TestJSONKeysDocumented(t *testing.T) {
	dir := t.TempDir()
	// A scenario of its own that cannot run, for stress's not_run.
	src := append(portfolio.DemoSource(), []byte(`
[[scenario]]
id = "before-the-data"
name = "Before the data"
from = "1700-01"
to = "1701-01"
`)...)
	if err := os.WriteFile(filepath.Join(dir, "portfolio.toml"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "--data-dir", dir, "holdings", "add", "--kind", "other", "--custodian", "ibkr",
		"--symbol", "VT", "--units", "12", "--asset-class", "equity fund")

	commands := map[string][][]string{
		"holdings list":   {{"holdings", "list"}, {"holdings", "list", "--unit", "sats"}},
		"custodians list": {{"custodians", "list"}},
		"prices list":     {{"prices", "list"}},
		"report":          {{"report"}, {"report", "--unit", "XAU"}},
		"analyze":         {{"analyze"}, {"analyze", "--unit", "XAU"}},
		"montecarlo":      {{"montecarlo", "--years", "5", "--paths", "500"}, {"montecarlo", "--unit", "sats", "--years", "3", "--paths", "200", "--rebalance", "bands"}},
		"rebalance":       {{"rebalance"}, {"rebalance", "--cash", "10000 EUR", "--buy-only"}, {"rebalance", "--never-sell", "gld,iau,maples"}},
		"whatif":          {{"whatif", "--plan"}, {"whatif", "sell", "the", "vault", "bar"}},
		"backtest":        {{"backtest"}, {"backtest", "--unit", "XAU"}},
		"stress":          {{"stress"}, {"stress", "--scenario", "gfc-2008", "--unit", "XAU"}},
	}
	// The rebalancing commands need targets covering every holding, and
	// the other-kind holding added above has neither a target nor a
	// price: they run on the demo, which has targets.
	demoOnly := map[string]bool{"rebalance": true, "whatif": true, "backtest": true}
	docs := documentedKeys(t, regexp.MustCompile("^#+ .*`hardfolio ([a-z ]+) --json`"))
	var names []string
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	for name := range commands {
		if docs[name] == nil {
			t.Errorf("docs/cli.md has no section for `hardfolio %s --json` (it has %v)", name, names)
		}
	}
	for name := range docs {
		if commands[name] == nil {
			t.Errorf("docs/cli.md documents `hardfolio %s --json`, which this test does not run", name)
		}
	}
	for name, runs := range commands {
		emitted := map[string]bool{}
		for _, args := range runs {
			sources := [][]string{{"--demo"}, {"--data-dir", dir}}
			if demoOnly[name] {
				sources = sources[:1]
			}
			for _, source := range sources {
				jsonKeys(t, runCLI(t, slices.Concat(source, args, []string{"--json"})...), emitted)
			}
		}
		// A what-if's before and after are analyze's documents.
		for k := range emitted {
			for _, side := range []string{"before.", "after."} {
				if rest, ok := strings.CutPrefix(k, side); ok && name == "whatif" && docs["analyze"][rest] {
					delete(emitted, k)
				}
			}
		}
		if name == "whatif" {
			// trades[] has the keys documented for rebalance.
			for k := range emitted {
				if strings.HasPrefix(k, "trades[].") && docs["rebalance"][k] {
					delete(emitted, k)
				}
			}
		}
		for k := range emitted {
			if !docs[name][k] {
				t.Errorf("hardfolio %s --json emits %q, which docs/cli.md does not document", name, k)
			}
		}
		for k := range docs[name] {
			if !emitted[k] {
				t.Errorf("docs/cli.md documents %q for hardfolio %s --json, which it does not emit", k, name)
			}
		}
	}
}
