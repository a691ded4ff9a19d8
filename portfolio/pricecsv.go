package portfolio

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ParsePriceCSV reads prices and FX rates from CSV with a header row naming
// at least the columns asset, price, currency and time (any order, any case;
// an optional source column). A row whose asset is a currency code is an FX
// rate: "USD,0.865,EUR,..." says one USD is worth 0.865 EUR. Anything else
// (BTC, XAU, a ticker) is a price per unit in the currency. time is RFC 3339
// or a date (YYYY-MM-DD, taken as 00:00 UTC).
//
// It reads the whole file before returning anything: one bad row fails the
// import with an error naming the file, line and column, so nothing is
// half-imported.
func ParsePriceCSV(name string, r io.Reader) ([]Price, []FXRate, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: empty file: want a header row asset,price,currency,time[,source]", name)
	}
	if err != nil {
		return nil, nil, csvError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"asset", "price", "currency", "time"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("%s:1: header: missing column %q (want asset,price,currency,time[,source])", name, need)
		}
	}
	var prices []Price
	var rates []FXRate
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			i, ok := col[c]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		bad := func(field, f string, a ...any) error {
			return fmt.Errorf("%s:%d: %s: %s", name, line, field, fmt.Sprintf(f, a...))
		}
		asset := strings.ToUpper(get("asset"))
		if asset == "" {
			return nil, nil, bad("asset", "is empty")
		}
		value, err := decimal.NewFromString(get("price"))
		if err != nil {
			return nil, nil, bad("price", "%q is not a decimal number", get("price"))
		}
		if value.Sign() <= 0 {
			return nil, nil, bad("price", "must be greater than zero, got %s", value)
		}
		cur := strings.ToUpper(get("currency"))
		if err := CheckCurrency(cur); err != nil {
			return nil, nil, bad("currency", "%v", err)
		}
		ts := get("time")
		if ts == "" {
			return nil, nil, bad("time", "is empty: every price needs the time it was observed")
		}
		t, err := parseTime(ts)
		if err != nil {
			return nil, nil, bad("time", "%v", err)
		}
		source := get("source")
		if source == "" {
			source = "csv"
		}
		if CheckCurrency(asset) == nil {
			if asset == cur {
				return nil, nil, bad("currency", "an FX rate needs two different currencies")
			}
			rates = append(rates, FXRate{Base: asset, Quote: cur, Rate: value, Time: t, Source: source})
		} else {
			prices = append(prices, Price{Asset: asset, Value: value, Currency: cur, Time: t, Source: source})
		}
	}
	return prices, rates, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: column %d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// parseTime reads RFC 3339 or a plain date (00:00 UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 (2026-11-21T16:00:00Z) or a date (2026-11-21)", s)
}

// ParseTime reads a time as the CLI accepts it: RFC 3339 or a date.
func ParseTime(s string) (time.Time, error) { return parseTime(s) }
