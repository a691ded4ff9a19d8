package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// The CLI is tested end to end by the scripts in testdata/script: each runs
// the real hardfolio binary (this test binary, re-executed) against files in
// its own work directory. Two programs are registered for the scripts:
//
//   - hardfolio, with its clock pinned by HARDFOLIO_TEST_NOW (RFC 3339) when
//     set, so that price ages and the demo's rebased prices are reproducible;
//   - fakeeditor, a scripted editor for "hardfolio edit" (see fakeEditor).
//
// Every script starts with XDG_DATA_HOME inside its work directory, so the
// default portfolio is $DATA/portfolio.toml, and the clock at
// 2026-11-24T12:00:00Z.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hardfolio":  hardfolioForTest,
		"fakeeditor": fakeEditor,
	})
}

// testNow is the clock of the scripts.
const testNow = "2026-11-24T12:00:00Z"

func hardfolioForTest() {
	now := time.Now
	if s := os.Getenv("HARDFOLIO_TEST_NOW"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "HARDFOLIO_TEST_NOW:", err)
			os.Exit(2)
		}
		now = func() time.Time { return t }
	}
	if err := newRootCmdAt(now).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "hardfolio:", err)
		os.Exit(1)
	}
}

// fakeEditor is an editor driven by files in $FAKEEDITOR_DIR. On its n-th
// run (n counts from 1) it
//
//   - copies the file it was given to seen.n, and writes info.n with the
//     file's mode and path;
//   - when $FAKEEDITOR_HOLD is set, creates "started" and waits until
//     "release" exists, holding hardfolio (and its lock) open meanwhile;
//   - replaces the file with reply.n when that exists, else leaves it as it
//     was.
func fakeEditor() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "fakeeditor:", err)
		os.Exit(1)
	}
	dir := os.Getenv("FAKEEDITOR_DIR")
	if dir == "" || len(os.Args) < 2 {
		fail(fmt.Errorf("usage: FAKEEDITOR_DIR=dir fakeeditor FILE"))
	}
	file := os.Args[len(os.Args)-1]
	n := 1
	for ; ; n++ {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("seen.%d", n))); os.IsNotExist(err) {
			break
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fail(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seen.%d", n)), data, 0o644); err != nil {
		fail(err)
	}
	info := fmt.Sprintf("mode %#o\npath %s\n", fi.Mode().Perm(), file)
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("info.%d", n)), []byte(info), 0o644); err != nil {
		fail(err)
	}
	if os.Getenv("FAKEEDITOR_HOLD") != "" {
		if err := os.WriteFile(filepath.Join(dir, "started"), nil, 0o644); err != nil {
			fail(err)
		}
		if !waitFor(filepath.Join(dir, "release"), time.Minute) {
			fail(fmt.Errorf("nobody created %s", filepath.Join(dir, "release")))
		}
	}
	reply, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("reply.%d", n)))
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(file, reply, 0o600); err != nil {
		fail(err)
	}
}

// waitFor polls until path exists, for at most d.
func waitFor(path string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			xdg := filepath.Join(env.WorkDir, "xdg")
			env.Setenv("XDG_DATA_HOME", xdg)
			env.Setenv("DATA", filepath.Join(xdg, "hardfolio"))
			env.Setenv("HARDFOLIO_TEST_NOW", testNow)
			env.Setenv("FAKEEDITOR_DIR", filepath.Join(env.WorkDir, "edits"))
			// The demo's file, for scripts that change a copy of it.
			return os.WriteFile(filepath.Join(env.WorkDir, "demo.toml"), portfolio.DemoSource(), 0o600)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile":    cmdWaitFile,
			"lineof":      cmdLineOf,
			"checkreport": cmdCheckReport,
			"reporttext":  cmdReportText,
			"gone":        cmdGone,
		},
	})
}

// waitfile PATH waits (up to a minute) until PATH exists.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATH")
	}
	if !waitFor(ts.MkAbs(args[0]), time.Minute) {
		ts.Fatalf("%s did not appear", args[0])
	}
}

// lineof FILE N REGEXP checks that line N (from 1) of FILE matches REGEXP:
// that a line number in an error points at the right line.
func cmdLineOf(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: lineof FILE N REGEXP")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	lines := strings.Split(ts.ReadFile(args[0]), "\n")
	if n < 1 || n > len(lines) {
		ts.Fatalf("%s has %d lines, no line %d", args[0], len(lines), n)
	}
	re, err := regexp.Compile(args[2])
	ts.Check(err)
	if re.MatchString(lines[n-1]) == neg {
		ts.Fatalf("line %d of %s is %q; want a match for %q (negated: %v)", n, args[0], lines[n-1], args[2], neg)
	}
}

// gone INFO checks that the file whose path an info.n file of fakeeditor
// recorded no longer exists, and that it had mode 0600.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gone INFOFILE")
	}
	var mode, path string
	for _, l := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if v, ok := strings.CutPrefix(l, "mode "); ok {
			mode = v
		}
		if v, ok := strings.CutPrefix(l, "path "); ok {
			path = v
		}
	}
	if path == "" {
		ts.Fatalf("%s records no path", args[0])
	}
	if mode != "0600" {
		ts.Fatalf("the editor's file %s had mode %s, want 0600", path, mode)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		ts.Fatalf("the editor's file %s is still there (err %v)", path, err)
	}
}

// The JSON the checks below read: only the keys they need.
type testReport struct {
	Unit          string `json:"unit"`
	AsOf          string `json:"as_of"`
	NetWorth      string `json:"net_worth"`
	GoldFineOz    string `json:"gold_fine_oz"`
	StaleCount    int    `json:"stale_count"`
	UnpricedCount int    `json:"unpriced_count"`
	Holdings      []struct {
		ID              string  `json:"id"`
		Kind            string  `json:"kind"`
		Value           *string `json:"value"`
		Share           *string `json:"share"`
		PriceTime       *string `json:"price_time"`
		PriceAgeSeconds *int64  `json:"price_age_seconds"`
		Stale           bool    `json:"stale"`
		Unpriced        bool    `json:"unpriced"`
		FineOz          string  `json:"fine_oz"`
	} `json:"holdings"`
	Allocation []struct {
		Dimension string `json:"dimension"`
		Slices    []struct {
			Value string `json:"value"`
			Share string `json:"share"`
			Count int    `json:"count"`
		} `json:"slices"`
	} `json:"allocation"`
	StaleAfterSeconds int64 `json:"stale_after_seconds"`
}

type testHoldings struct {
	Holdings []struct {
		ID       string  `json:"id"`
		Kind     string  `json:"kind"`
		Sats     *int64  `json:"sats"`
		Currency *string `json:"currency"`
		Amount   *string `json:"amount"`
		Ticker   *string `json:"ticker"`
		Shares   *string `json:"shares"`
		FineOz   *string `json:"fine_oz"`
		Value    *string `json:"value"`
	} `json:"holdings"`
}

type testPrices struct {
	Prices []struct {
		Asset    string `json:"asset"`
		Price    string `json:"price"`
		Currency string `json:"currency"`
	} `json:"prices"`
	FX []struct {
		Base  string `json:"base"`
		Quote string `json:"quote"`
		Rate  string `json:"rate"`
	} `json:"fx"`
}

func readJSON(ts *testscript.TestScript, name string, v any) {
	if err := json.Unmarshal([]byte(ts.ReadFile(name)), v); err != nil {
		ts.Fatalf("%s: %v", name, err)
	}
}

func mustDec(ts *testscript.TestScript, what, s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		ts.Fatalf("%s: %q is not a decimal string", what, s)
	}
	return d
}

// checkreport REPORT HOLDINGS PRICES checks the JSON of "report --json"
// against itself and against the data it was computed from ("holdings list
// --json" and "prices list --json" of the same portfolio):
//
//   - the net worth is exactly the sum of the holdings' values, and so is
//     every allocation's sum of slices; slice counts add up to the number of
//     holdings, and shares to 1;
//   - the gold ounces are the sum of the holdings' fine ounces;
//   - the stale and unpriced counts match the flags of the holdings, and a
//     holding is stale exactly when its price is older than stale_after;
//   - the value of every bitcoin, cash and ETF holding is recomputed from
//     its quantity and the price book (price, then at most one FX rate in
//     either direction), rounded to the unit; and so is physical gold's, from
//     its fine ounces. With -all, every holding must be revalued so.
func cmdCheckReport(ts *testscript.TestScript, neg bool, args []string) {
	all := len(args) > 0 && args[0] == "-all"
	if all {
		args = args[1:]
	}
	if neg || len(args) != 3 {
		ts.Fatalf("usage: checkreport [-all] REPORT.json HOLDINGS.json PRICES.json")
	}
	var r testReport
	var hs testHoldings
	var ps testPrices
	readJSON(ts, args[0], &r)
	readJSON(ts, args[1], &hs)
	readJSON(ts, args[2], &ps)

	netWorth := mustDec(ts, "net_worth", r.NetWorth)
	sum, ounces := decimal.Zero, decimal.Zero
	stale, unpriced := 0, 0
	values := map[string]decimal.Decimal{}
	for _, h := range r.Holdings {
		if h.Unpriced != (h.Value == nil) {
			ts.Fatalf("holding %s: unpriced is %v but value is %v", h.ID, h.Unpriced, h.Value)
		}
		if h.Value != nil {
			v := mustDec(ts, h.ID+" value", *h.Value)
			values[h.ID] = v
			sum = sum.Add(v)
		}
		ounces = ounces.Add(mustDec(ts, h.ID+" fine_oz", h.FineOz))
		if h.Stale {
			stale++
		}
		if h.Unpriced {
			unpriced++
		}
		if h.PriceAgeSeconds != nil && (*h.PriceAgeSeconds > r.StaleAfterSeconds) != h.Stale {
			ts.Fatalf("holding %s: price age %ds, stale_after %ds, but stale is %v", h.ID, *h.PriceAgeSeconds, r.StaleAfterSeconds, h.Stale)
		}
	}
	if !sum.Equal(netWorth) {
		ts.Fatalf("net_worth %s is not the sum of the holdings' values %s", netWorth, sum)
	}
	if got := mustDec(ts, "gold_fine_oz", r.GoldFineOz); got.Sub(ounces).Abs().GreaterThan(decimal.New(1, -11)) {
		ts.Fatalf("gold_fine_oz %s is not the sum of the holdings' fine_oz %s", got, ounces)
	}
	if stale != r.StaleCount || unpriced != r.UnpricedCount {
		ts.Fatalf("stale_count %d / unpriced_count %d, but the holdings say %d / %d", r.StaleCount, r.UnpricedCount, stale, unpriced)
	}
	if len(r.Allocation) != 5 {
		ts.Fatalf("%d allocations, want one for each of the 5 dimensions", len(r.Allocation))
	}
	for _, a := range r.Allocation {
		total, shares, count := decimal.Zero, decimal.Zero, 0
		for _, s := range a.Slices {
			total = total.Add(mustDec(ts, a.Dimension+" slice value", s.Value))
			shares = shares.Add(mustDec(ts, a.Dimension+" slice share", s.Share))
			count += s.Count
		}
		if !total.Equal(netWorth) {
			ts.Fatalf("allocation by %s adds up to %s, not the net worth %s", a.Dimension, total, netWorth)
		}
		if netWorth.Sign() > 0 && shares.Sub(decimal.NewFromInt(1)).Abs().GreaterThan(decimal.New(1, -9)) {
			ts.Fatalf("allocation by %s: shares add up to %s, not 1", a.Dimension, shares)
		}
		if count != len(r.Holdings) {
			ts.Fatalf("allocation by %s counts %d holdings, want %d", a.Dimension, count, len(r.Holdings))
		}
	}

	// Recompute values from the data.
	unit := r.Unit
	scale := int32(2)
	switch unit {
	case "BTC":
		scale = 8
	case "SAT", "JPY":
		scale = 0
	case "XAU":
		scale = 6
	}
	fx := func(from string) (decimal.Decimal, bool) {
		if from == unit {
			return decimal.NewFromInt(1), true
		}
		for _, x := range ps.FX {
			if x.Base == from && x.Quote == unit {
				return mustDec(ts, "fx rate", x.Rate), true
			}
			if x.Base == unit && x.Quote == from {
				return decimal.NewFromInt(1).DivRound(mustDec(ts, "fx rate", x.Rate), 18), true
			}
		}
		return decimal.Zero, false
	}
	price := func(asset string) (decimal.Decimal, bool) {
		if unit == "SAT" && asset == "BTC" {
			return decimal.New(1, 8), true
		}
		for _, p := range ps.Prices {
			if p.Asset == asset {
				rate, ok := fx(p.Currency)
				return mustDec(ts, asset+" price", p.Price).Mul(rate), ok
			}
		}
		return decimal.Zero, false
	}
	checked := 0
	for _, h := range hs.Holdings {
		var want decimal.Decimal
		var ok bool
		switch h.Kind {
		case "btc":
			var p decimal.Decimal
			p, ok = price("BTC")
			want = decimal.New(*h.Sats, -8).Mul(p)
		case "cash":
			var rate decimal.Decimal
			rate, ok = fx(*h.Currency)
			want = mustDec(ts, h.ID+" amount", *h.Amount).Mul(rate)
		case "etf":
			var p decimal.Decimal
			p, ok = price(*h.Ticker)
			want = mustDec(ts, h.ID+" shares", *h.Shares).Mul(p)
		case "gold":
			var p decimal.Decimal
			p, ok = price("XAU")
			want = mustDec(ts, h.ID+" fine_oz", *h.FineOz).Mul(p)
		}
		if !ok {
			continue
		}
		want = want.Round(scale)
		got, has := values[h.ID]
		if !has || !got.Equal(want) {
			ts.Fatalf("holding %s: report value %s, want %s from its quantity and the price book", h.ID, got, want)
		}
		checked++
	}
	if all && checked != len(r.Holdings) {
		ts.Fatalf("only %d of %d holdings could be revalued from the data", checked, len(r.Holdings))
	}
	ts.Logf("checkreport: net worth %s %s; %d holdings, %d of them revalued from the data", r.NetWorth, unit, len(r.Holdings), checked)
}

// reporttext TEXT JSON checks the text of "report" against its JSON: the
// net worth and every holding's value appear, in one right-aligned column,
// and the holdings table lists the holdings in order.
func cmdReportText(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: reporttext REPORT.txt REPORT.json")
	}
	var r testReport
	readJSON(ts, args[1], &r)
	lines := strings.Split(ts.ReadFile(args[0]), "\n")
	scale := int32(len(r.NetWorth) - strings.LastIndex(r.NetWorth, ".") - 1)
	if !strings.Contains(r.NetWorth, ".") {
		scale = 0
	}
	display := func(s string) string {
		d := mustDec(ts, "value", s)
		// The thousands-separated form the text uses, built independently.
		str := d.StringFixed(scale)
		intPart, frac, hasFrac := strings.Cut(str, ".")
		var b strings.Builder
		for i, c := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		if hasFrac {
			b.WriteString("." + frac)
		}
		return b.String()
	}
	if !strings.Contains(lines[0], "net worth "+display(r.NetWorth)+" ") {
		ts.Fatalf("first line %q does not give the net worth %s", lines[0], display(r.NetWorth))
	}
	// Find the holdings table: its header starts with HOLDING.
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "HOLDING ") {
			start = i
			break
		}
	}
	if start < 0 {
		ts.Fatalf("no holdings table (a line starting with HOLDING)")
	}
	valueEnd := strings.Index(lines[start], ")") + 1 // end of "VALUE (unit)"
	if valueEnd <= 0 {
		ts.Fatalf("holdings table header %q has no VALUE (unit) column", lines[start])
	}
	column := func(l, cell string) int {
		i := strings.Index(l, "  "+cell+"  ")
		if i < 0 {
			ts.Fatalf("line %q has no cell %q", l, cell)
		}
		return len([]rune(l[:i+2+len(cell)]))
	}
	headerEnd := len([]rune(lines[start][:valueEnd]))
	for i, h := range r.Holdings {
		l := lines[start+1+i]
		if !strings.HasPrefix(l, h.ID+" ") {
			ts.Fatalf("row %d of the holdings table is %q, want holding %s", i+1, l, h.ID)
		}
		cell := "unpriced"
		if h.Value != nil {
			cell = display(*h.Value)
		}
		if end := column(l, cell); end != headerEnd {
			ts.Fatalf("value %s of %s ends at column %d, the VALUE header at %d: not aligned", cell, h.ID, end, headerEnd)
		}
	}
	total := lines[start+1+len(r.Holdings)+1]
	if !strings.HasPrefix(total, "Net worth ") || column(total, display(r.NetWorth)) != headerEnd {
		ts.Fatalf("total row %q does not end the net worth %s under the values", total, display(r.NetWorth))
	}
}
