package history

import (
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// fileRows reads a bundled CSV straight from the data folder with a
// parser of its own (split on commas), so the tests check the package's
// reading against the files rather than against itself.
func fileRows(t *testing.T, file string) (header []string, rows [][]string) {
	t.Helper()
	raw, err := os.ReadFile("data/" + file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	header = strings.Split(lines[0], ",")
	for _, l := range lines[1:] {
		rows = append(rows, strings.Split(strings.TrimRight(l, "\r"), ","))
	}
	return header, rows
}

// fileValues maps month to value for a monthly file's value column;
// empty values are left out.
func fileValues(t *testing.T, file string) map[string]float64 {
	t.Helper()
	header, rows := fileRows(t, file)
	col := -1
	for i, h := range header {
		if h == "value" {
			col = i
		}
	}
	out := map[string]float64{}
	for _, r := range rows {
		if r[col] == "" {
			continue
		}
		v, err := strconv.ParseFloat(r[col], 64)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out[r[0]] = v
	}
	return out
}

func mustLoad(t testing.TB) *Data {
	t.Helper()
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func near(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func TestMonth(t *testing.T) {
	for _, s := range []string{"1871-01", "1999-12", "2008-09", "2026-07"} {
		m, err := ParseMonth(s)
		if err != nil {
			t.Fatal(err)
		}
		if m.String() != s {
			t.Errorf("ParseMonth(%q).String() = %q", s, m)
		}
		if got := MonthOf(m.Time().Add(20 * 24 * time.Hour)); got != m {
			t.Errorf("MonthOf(%s + 20 days) = %s", m, got)
		}
	}
	m, _ := ParseMonth("1999-12")
	if (m+1).String() != "2000-01" || (m-12).String() != "1998-12" {
		t.Errorf("month arithmetic: %s + 1 = %s, - 12 = %s", m, m+1, m-12)
	}
	for _, bad := range []string{"1999-13", "1999-00", "1999-1", "99-01-01", "abcd-01", ""} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}

// TestSeriesMatchFiles checks every bundled series value by value against
// its file, and the one gap (CPI 2025-10) against its neighbours.
func TestSeriesMatchFiles(t *testing.T) {
	d := mustLoad(t)
	for _, id := range SeriesIDs() {
		s := d.Series(id)
		want := fileValues(t, s.File)
		_, rows := fileRows(t, s.File)
		if s.Start.String() != rows[0][0] || s.End().String() != rows[len(rows)-1][0] {
			t.Errorf("%s: %s to %s, file has %s to %s", id, s.Start, s.End(), rows[0][0], rows[len(rows)-1][0])
		}
		if len(s.Values) != len(rows) {
			t.Errorf("%s: %d values, file has %d rows", id, len(s.Values), len(rows))
		}
		for m := s.Start; m <= s.End(); m++ {
			got, _ := s.At(m)
			w, ok := want[m.String()]
			if !ok {
				continue
			}
			if got != w {
				t.Errorf("%s %s: %v, file says %v", id, m, got, w)
			}
		}
		filled := len(rows) - len(want)
		if len(s.Filled) != filled {
			t.Errorf("%s: %d months filled, file has %d empty values", id, len(s.Filled), filled)
		}
	}
	cpi := d.CPI()
	if len(cpi.Filled) != 1 || cpi.Filled[0].String() != "2025-10" {
		t.Fatalf("CPI filled months = %v, want [2025-10]", cpi.Filled)
	}
	want := fileValues(t, cpi.File)
	got, _ := cpi.At(cpi.Filled[0])
	if g := math.Sqrt(want["2025-09"] * want["2025-11"]); !near(got, g, 1e-15) {
		t.Errorf("CPI 2025-10 = %v, want the geometric mean of its neighbours %v", got, g)
	}
}

func TestLevels(t *testing.T) {
	d := mustLoad(t)
	// A currency's level is the inverse of its per-USD rate.
	for a, file := range map[Asset]string{
		"CHF": "fx/chf_per_usd_monthly_avg_fred.csv", "JPY": "fx/jpy_per_usd_monthly_avg_fred.csv",
		"TRY": "fx/try_per_usd_monthly_end_ecb.csv", "VES": "fx/ves_per_usd_monthly_avg_fred.csv",
	} {
		lv, err := d.Level(a)
		if err != nil {
			t.Fatal(err)
		}
		for m, v := range fileValues(t, file) {
			mo, _ := ParseMonth(m)
			got, ok := lv.At(mo)
			if !ok || !near(got, 1/v, 1e-15) {
				t.Errorf("%s %s: level %v, want 1/%v", a, m, got, v)
			}
		}
	}
	// The euro: FRED from 1999, the mark at its conversion rate before.
	eur, _ := d.Level("EUR")
	dem := fileValues(t, "fx/dem_per_usd_monthly_avg_fred.csv")
	euro := fileValues(t, "fx/eur_per_usd_monthly_avg_fred.csv")
	if eur.Start.String() != "1971-01" {
		t.Errorf("EUR starts %s, want 1971-01 (the mark's first month)", eur.Start)
	}
	for m := eur.Start; m <= eur.End(); m++ {
		got, _ := eur.At(m)
		want := 1 / euro[m.String()]
		if m.Year() < 1999 {
			want = 1.95583 / dem[m.String()]
		}
		if !near(got, want, 1e-15) {
			t.Errorf("EUR %s = %v, want %v", m, got, want)
		}
	}
	// T-bills compound the month's rate over 12.
	tb, _ := d.Level(TBill)
	rates := fileValues(t, "macro/us_tbill_3m_monthly.csv")
	for m := tb.Start + 1; m <= tb.End(); m++ {
		a, _ := tb.At(m - 1)
		b, _ := tb.At(m)
		if want := rates[m.String()] / 1200; !near(b/a-1, want, 1e-9) {
			t.Errorf("T-bill return %s = %v, want %v", m, b/a-1, want)
		}
	}
	if _, err := d.Level("SEK"); !errors.As(err, new(*UnknownAssetError)) {
		t.Errorf("Level(SEK) error = %v, want an UnknownAssetError", err)
	}
}

func TestReturns(t *testing.T) {
	d := mustLoad(t)
	gold := fileValues(t, "gold/gold_usd_monthly_avg_worldbank.csv")
	btc := fileValues(t, "bitcoin/btc_usd_monthly_close.csv")
	spx := fileValues(t, "equities/sp500_total_return_index_monthly.csv")
	eur := fileValues(t, "fx/eur_per_usd_monthly_avg_fred.csv")
	cpi := fileValues(t, "macro/us_cpi_u_nsa_monthly.csv")

	// The common window starts the month after the latest first month
	// and ends at the earliest last month.
	first := func(v map[string]float64) (lo, hi string) {
		for k := range v {
			if lo == "" || k < lo {
				lo = k
			}
			if k > hi {
				hi = k
			}
		}
		return lo, hi
	}
	gLo, gHi := first(gold)
	bLo, bHi := first(btc)
	sLo, sHi := first(spx)
	lo, _ := ParseMonth(max(gLo, bLo, sLo))
	hi, _ := ParseMonth(min(gHi, bHi, sHi))
	assets := []Asset{BTC, Gold, Equities}
	r, err := d.Returns(assets, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.From != lo+1 || r.To != hi {
		t.Fatalf("window %s to %s, want %s to %s", r.From, r.To, lo+1, hi)
	}
	for ti := 0; ti < r.Len(); ti++ {
		m, p := r.Month(ti).String(), (r.Month(ti) - 1).String()
		for i, v := range []map[string]float64{btc, gold, spx} {
			if want := v[m]/v[p] - 1; !near(r.R[i][ti], want, 1e-12) {
				t.Fatalf("%s %s: return %v, want %v", assets[i], m, r.R[i][ti], want)
			}
		}
	}

	// Gold in euros: the USD price times EUR per USD.
	from, _ := ParseMonth("2008-01")
	to, _ := ParseMonth("2009-12")
	re, err := d.Returns([]Asset{Gold, USD}, Options{Unit: "EUR", From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	for ti := 0; ti < re.Len(); ti++ {
		m, p := re.Month(ti).String(), (re.Month(ti) - 1).String()
		want := gold[m]*eur[m]/(gold[p]*eur[p]) - 1
		if !near(re.R[0][ti], want, 1e-12) {
			t.Errorf("gold in EUR %s: %v, want %v", m, re.R[0][ti], want)
		}
		if want := eur[m]/eur[p] - 1; !near(re.R[1][ti], want, 1e-12) {
			t.Errorf("USD in EUR %s: %v, want %v", m, re.R[1][ti], want)
		}
	}

	// Real returns divide by CPI growth.
	rr, err := d.Returns([]Asset{Gold}, Options{Real: true, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	for ti := 0; ti < rr.Len(); ti++ {
		m, p := rr.Month(ti).String(), (rr.Month(ti) - 1).String()
		want := (gold[m]/cpi[m])/(gold[p]/cpi[p]) - 1
		if !near(rr.R[0][ti], want, 1e-12) {
			t.Errorf("real gold %s: %v, want %v", m, rr.R[0][ti], want)
		}
		if l := rr.Log()[0][ti]; !near(l, math.Log(1+want), 1e-9) {
			t.Errorf("real gold log return %s: %v, want %v", m, l, math.Log(1+want))
		}
	}

	if _, err := d.Returns([]Asset{Gold}, Options{Unit: "EUR", Real: true}); !errors.Is(err, ErrRealNeedsUSD) {
		t.Errorf("real returns in EUR: error %v, want ErrRealNeedsUSD", err)
	}
	var we *WindowError
	if _, err := d.Returns([]Asset{"RUB", "TRY", BTC}, Options{From: lo, To: hi + 6}); !errors.As(err, &we) {
		t.Errorf("window past the data: error %v, want a WindowError", err)
	}
	// One bound given: the other is the shared window's.
	all, err := d.Returns([]Asset{"RUB", "TRY", BTC}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mid := all.From + 24
	for _, c := range []struct{ opt, want Options }{
		{Options{From: mid}, Options{From: mid, To: all.To}},
		{Options{To: mid}, Options{From: all.From, To: mid}},
	} {
		r, err := d.Returns([]Asset{"RUB", "TRY", BTC}, c.opt)
		if err != nil {
			t.Fatalf("%+v: %v", c.opt, err)
		}
		if r.From != c.want.From || r.To != c.want.To {
			t.Errorf("%+v: %s to %s, want %s to %s", c.opt, r.From, r.To, c.want.From, c.want.To)
		}
	}
	if _, err := d.Returns([]Asset{"RUB", "TRY", BTC}, Options{From: all.From - 1}); !errors.As(err, &we) || we.To != all.To {
		t.Errorf("from before the data only: error %v, want a WindowError to %s", err, all.To)
	}
	if _, err := d.Returns([]Asset{"VES", "DEM"}, Options{}); !errors.As(err, new(*UnknownAssetError)) {
		t.Errorf("unknown asset: error %v, want an UnknownAssetError", err)
	}
	// Caller's slice is left alone even with spare capacity.
	in := make([]Asset, 1, 4)
	in[0] = Gold
	if _, err := d.Returns(in, Options{Unit: "CHF"}); err != nil || in[:2][1] != "" {
		t.Errorf("Returns wrote into the caller's slice: %v %v", in[:2], err)
	}
}

// TestCrisisWindows ties every crisis row on a bundled monthly file to the
// bundled series: the start and end values are the series' values at
// those months (the file keeps six significant digits).
func TestCrisisWindows(t *testing.T) {
	d := mustLoad(t)
	ws := d.CrisisWindows()
	_, rows := fileRows(t, "crisis/crisis_windows.csv")
	if len(ws) != 50 || len(rows) != 50 {
		t.Fatalf("%d windows, file has %d rows; want 50", len(ws), len(rows))
	}
	checked := 0
	for _, w := range ws {
		s := d.SeriesByFile(w.File)
		start, end, monthly := w.Monthly()
		if s == nil || !monthly {
			continue
		}
		a, okA := s.At(start)
		b, okB := s.At(end)
		if !okA || !okB {
			// The 2011 bitcoin crash predates the bundled BTC series.
			if s.ID != SeriesBTC || start.Year() != 2011 {
				t.Errorf("%s on %s: %s to %s outside the series", w.ID, w.File, w.Start, w.End)
			}
			continue
		}
		if !near(a, w.StartValue, 5e-6) || !near(b, w.EndValue, 5e-6) {
			t.Errorf("%s on %s: series %v to %v, window says %v to %v", w.ID, w.File, a, b, w.StartValue, w.EndValue)
		}
		if got := 100 * (b/a - 1); math.Abs(got-w.ChangePct) > 0.051 {
			t.Errorf("%s on %s: change %.2f%%, window says %.1f%%", w.ID, w.File, got, w.ChangePct)
		}
		checked++
	}
	if checked < 35 {
		t.Errorf("only %d windows tied to the bundled series", checked)
	}
}

func TestMapping(t *testing.T) {
	m := Mapping{Proxies: map[string]Asset{"VWCE": Equities, "bond fund": TBill}}
	cases := []struct {
		h     portfolio.Holding
		asset Asset
		proxy bool
	}{
		{portfolio.Holding{ID: "a", Kind: portfolio.KindBTC}, BTC, false},
		{portfolio.Holding{ID: "b", Kind: portfolio.KindGold}, Gold, false},
		{portfolio.Holding{ID: "c", Kind: portfolio.KindETF, Ticker: "GLD"}, Gold, false},
		{portfolio.Holding{ID: "d", Kind: portfolio.KindCash, Currency: "USD"}, TBill, false},
		{portfolio.Holding{ID: "e", Kind: portfolio.KindCash, Currency: "CHF"}, "CHF", false},
		{portfolio.Holding{ID: "f", Kind: portfolio.KindOther, Ticker: "VWCE"}, Equities, true},
		{portfolio.Holding{ID: "g", Kind: portfolio.KindOther, Ticker: "AGG", AssetClass: "Bond fund"}, TBill, true},
		{portfolio.Holding{ID: "h", Kind: portfolio.KindOther, Ticker: "XYZ"}, Equities, true},
	}
	for _, c := range cases {
		e, err := m.Exposure(&c.h)
		if err != nil || e.Asset != c.asset || e.Proxy != c.proxy {
			t.Errorf("%s (%s %s): %+v %v, want %s proxy=%v", c.h.ID, c.h.Kind, c.h.Ticker, e, err, c.asset, c.proxy)
		}
	}
	if _, err := m.Exposure(&portfolio.Holding{ID: "sek", Kind: portfolio.KindCash, Currency: "SEK"}); !errors.As(err, new(*UnmappedError)) {
		t.Errorf("SEK cash: error %v, want an UnmappedError", err)
	}
	if e, _ := (Mapping{Other: Gold}).Exposure(&portfolio.Holding{Kind: portfolio.KindOther, Ticker: "X"}); e.Asset != Gold {
		t.Errorf("Other = XAU: got %s", e.Asset)
	}
	for u, want := range map[portfolio.Unit]Asset{"USD": USD, "EUR": "EUR", "SAT": BTC, "BTC": BTC, "XAU": Gold} {
		if a, err := UnitAsset(u); err != nil || a != want {
			t.Errorf("UnitAsset(%s) = %s %v, want %s", u, a, err, want)
		}
	}
	if _, err := UnitAsset("SEK"); err == nil {
		t.Error("UnitAsset(SEK) accepted")
	}
	// The file format's list of proxy assets is this package's list.
	var names []string
	for _, a := range Assets() {
		names = append(names, string(a))
	}
	if !slices.Equal(names, portfolio.ProxyAssets) {
		t.Errorf("portfolio.ProxyAssets = %v, history has %v", portfolio.ProxyAssets, names)
	}
	p := &portfolio.Portfolio{Analysis: portfolio.AnalysisSettings{OtherProxy: "XAU", Proxies: map[string]string{"VT": "EQUITIES"}}}
	if m := NewMapping(p); m.Other != Gold || m.Proxies["VT"] != Equities {
		t.Errorf("NewMapping = %+v", m)
	}
	d := mustLoad(t)
	for _, a := range Assets() {
		if CheckAsset(a) != nil {
			t.Errorf("CheckAsset(%s) refused", a)
		}
		if _, err := d.Level(a); err != nil {
			t.Errorf("asset %s listed without a level: %v", a, err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(); err != nil {
			b.Fatal(err)
		}
	}
}
