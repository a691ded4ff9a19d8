package main

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestTableAlignsColumns(t *testing.T) {
	tb := newTable("NAME", "QUANTITY", "VALUE").alignRight(2)
	tb.add("Krugerrand", "10 × 1 oz coin", "36,161.50")
	tb.add("Cash", "5.00 EUR", "5.00")
	tb.rule()
	tb.add("Total", "", "36,166.50")
	var b strings.Builder
	tb.write(&b, "  ")
	want := `  NAME        QUANTITY            VALUE
  Krugerrand  10 × 1 oz coin  36,161.50
  Cash        5.00 EUR             5.00
  ----------  --------------  ---------
  Total                       36,166.50
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestAgeString(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "in the future"},
		{0, "0m"},
		{59 * time.Minute, "59m"},
		{47 * time.Hour, "47h"},
		{48 * time.Hour, "2d"},
		{4*24*time.Hour + 20*time.Hour + 59*time.Minute, "4d 20h"},
		{13*24*time.Hour + 15*time.Hour, "13d"},
	} {
		if got := ageString(tc.d); got != tc.want {
			t.Errorf("ageString(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestPercentRoundsForDisplayOnly(t *testing.T) {
	w := decimal.RequireFromString("0.237690772205")
	if got := percent(w); got != "23.8%" {
		t.Errorf("percent(%s) = %q, want 23.8%%", w, got)
	}
	if got := jsonWeight(w); got != "0.237690772205" {
		t.Errorf("jsonWeight(%s) = %q, want it unchanged", w, got)
	}
}
