package holdings

import (
	"testing"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
)

var _ = tuitest.Clock

func TestParseSats(t *testing.T) {
	ok := []struct {
		in     string
		inSats bool
		want   int64
	}{
		{"0.5", false, 50_000_000},
		{"1", false, 100_000_000},
		{"0.00000001", false, 1},
		{"1.25 BTC", false, 125_000_000},
		{"21,000", false, 2_100_000_000_000},
		{"-0.5", false, -50_000_000},
		{"50000", true, 50_000},
		{"50_000 sats", true, 50_000},
		{"1,000,000", true, 1_000_000},
	}
	for _, c := range ok {
		got, err := parseSats(c.in, c.inSats)
		if err != nil || got != c.want {
			t.Errorf("parseSats(%q, %v) = %d, %v; want %d", c.in, c.inSats, got, err, c.want)
		}
	}
	for _, c := range []struct {
		in     string
		inSats bool
	}{{"", false}, {"abc", false}, {"0.000000001", false}, {"0,5", false}, {"1.5", true}, {"22000000", false}} {
		if got, err := parseSats(c.in, c.inSats); err == nil {
			t.Errorf("parseSats(%q, %v) = %d, want an error", c.in, c.inSats, got)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	if d, err := parseDecimal("25,000.50", true); err != nil || !d.Equal(decimal.RequireFromString("25000.50")) {
		t.Errorf("parseDecimal grouped = %s, %v", d, err)
	}
	if _, err := parseDecimal("", true); err == nil || err.Error() != "is required" {
		t.Errorf("parseDecimal empty required: %v", err)
	}
	if d, err := parseDecimal("", false); err != nil || !d.IsZero() {
		t.Errorf("parseDecimal empty optional = %s, %v", d, err)
	}
	if _, err := parseDecimal("1,5", true); err == nil {
		t.Error("parseDecimal accepted a decimal comma")
	}
	if r, err := parseRatio("0.40%"); err != nil || !r.Equal(decimal.RequireFromString("0.004")) {
		t.Errorf("parseRatio(0.40%%) = %s, %v", r, err)
	}
	if r, err := parseRatio("0.0025"); err != nil || !r.Equal(decimal.RequireFromString("0.0025")) {
		t.Errorf("parseRatio(0.0025) = %s, %v", r, err)
	}
	if n, err := parseInt("1,000"); err != nil || n != 1000 {
		t.Errorf("parseInt = %d, %v", n, err)
	}
}

func TestCustodianID(t *testing.T) {
	p := portfolio.Demo(tuitest.Clock)
	for in, want := range map[string]string{
		"Coldcard Mk4":   "coldcard-mk4",
		"  Home Safe ":   "home-safe-2",
		"Ledger":         "ledger-2",
		"":               "custodian",
		"Crédit Suisse!": "crdit-suisse",
	} {
		if got := custodianID(p, in); got != want {
			t.Errorf("custodianID(%q) = %q, want %q", in, got, want)
		}
		if err := portfolio.CheckID(custodianID(p, in)); err != nil {
			t.Errorf("custodianID(%q): %v", in, err)
		}
	}
}
