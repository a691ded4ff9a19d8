package rebalance

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// ParseTargets reads targets written KEY=PERCENT ("Gold=45", "BTC=30"):
// a class name (Bitcoin, Gold, Cash, Other, any case) or an asset (BTC,
// XAU, a currency, a ticker). It does not check that they add up; see
// portfolio.CheckTargets.
func ParseTargets(args []string) ([]portfolio.Target, error) {
	var out []portfolio.Target
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("target %q: want KEY=PERCENT, such as Gold=45", a)
		}
		w, err := ParsePercent(v)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", a, err)
		}
		t := portfolio.Target{By: portfolio.ByAssetTarget, Key: strings.ToUpper(strings.TrimSpace(k)), Weight: w}
		for _, c := range []string{"Bitcoin", "Gold", "Cash", "Other"} {
			if strings.EqualFold(strings.TrimSpace(k), c) {
				t.By, t.Key = portfolio.ByClassTarget, c
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// ParsePercent reads "45", "45%" or "12.5" as a share (0.45).
func ParsePercent(s string) (decimal.Decimal, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not a percentage", s)
	}
	return d.Shift(-2), nil
}

// ParseBand reads a band written ABS/REL in percent: "5/25" (5
// percentage points or a quarter of the target, the narrower), "5" or
// "/25".
func ParseBand(s string) (portfolio.Band, error) {
	abs, rel, _ := strings.Cut(s, "/")
	var b portfolio.Band
	var err error
	if strings.TrimSpace(abs) != "" {
		if b.Abs, err = ParsePercent(abs); err != nil {
			return b, err
		}
	}
	if strings.TrimSpace(rel) != "" {
		if b.Rel, err = ParsePercent(rel); err != nil {
			return b, err
		}
	}
	return b, nil
}

// FormatTargets writes targets and a band as ParseTargets and ParseBand
// read them: "Bitcoin=30 Gold=45 Cash=25 band=5/25".
func FormatTargets(targets []portfolio.Target, b portfolio.Band) string {
	var parts []string
	for _, t := range targets {
		parts = append(parts, t.Key+"="+t.Weight.Shift(2).String())
	}
	if !b.IsZero() {
		band := "band="
		if !b.Abs.IsZero() {
			band += b.Abs.Shift(2).String()
		}
		if !b.Rel.IsZero() {
			band += "/" + b.Rel.Shift(2).String()
		}
		parts = append(parts, band)
	}
	return strings.Join(parts, " ")
}

// ParseTargetLine reads a line of targets and an optional band=ABS/REL,
// as FormatTargets writes them, and checks them as the file would.
func ParseTargetLine(line string) ([]portfolio.Target, portfolio.Band, error) {
	var args []string
	var band portfolio.Band
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(strings.ToLower(f), "band="); ok {
			b, err := ParseBand(v)
			if err != nil {
				return nil, band, fmt.Errorf("band: %w", err)
			}
			band = b
			continue
		}
		args = append(args, f)
	}
	ts, err := ParseTargets(args)
	if err != nil {
		return nil, band, err
	}
	if len(ts) == 0 {
		return nil, band, fmt.Errorf("no targets: write KEY=PERCENT, such as Bitcoin=30 Gold=45 Cash=25 band=5/25")
	}
	return ts, band, portfolio.CheckTargets(ts, band)
}
