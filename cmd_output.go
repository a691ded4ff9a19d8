package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Output helpers shared by the commands: aligned text tables for people and
// JSON for scripts. Text rounds numbers for display only; JSON carries money
// as exact decimal strings, sats as integers and times in RFC 3339, with the
// keys documented in docs/cli.md.

// table is a text table with a header row, aligned in columns two spaces
// apart. Columns listed in right are right-aligned (numbers).
type table struct {
	head  []string
	right map[int]bool
	rows  [][]string // a nil row is drawn as a rule
}

func newTable(head ...string) *table { return &table{head: head, right: map[int]bool{}} }

// alignRight right-aligns the given columns.
func (t *table) alignRight(cols ...int) *table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// rule adds a line of dashes under the widest cells.
func (t *table) rule() { t.rows = append(t.rows, nil) }

// write draws the table, each line prefixed by indent and without trailing
// spaces.
func (t *table) write(w io.Writer, indent string) {
	width := make([]int, len(t.head))
	measure := func(cells []string) {
		for i, c := range cells {
			if i < len(width) && utf8.RuneCountInString(c) > width[i] {
				width[i] = utf8.RuneCountInString(c)
			}
		}
	}
	measure(t.head)
	for _, r := range t.rows {
		measure(r)
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString(indent)
		for i := range width {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.head)
	for _, r := range t.rows {
		if r == nil {
			dashes := make([]string, len(width))
			for i := range width {
				dashes[i] = strings.Repeat("-", width[i])
			}
			line(dashes)
			continue
		}
		line(r)
	}
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonTime is t in RFC 3339 (UTC), or nil for the zero time.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// jsonDate is t as a calendar date (YYYY-MM-DD), or nil for the zero time.
func jsonDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.DateOnly)
	return &s
}

// jsonFixed is d with exactly scale decimal places: the form of amounts of
// money already rounded to their unit.
func jsonFixed(d decimal.Decimal, scale int32) string { return d.StringFixed(scale) }

// jsonDec is d exactly, in its shortest form.
func jsonDec(d decimal.Decimal) string { return d.String() }

// weightPlaces is the precision of weights (fractions of a total) in JSON.
const weightPlaces = 12

// ounceDecimals is the precision of fine-gold ounces in JSON.
const ounceDecimals = 12

// jsonWeight is a fraction 0..1 rounded to weightPlaces.
func jsonWeight(d decimal.Decimal) string { return d.Round(weightPlaces).String() }

// jsonOunces is an amount of fine gold in troy ounces, rounded to
// ounceDecimals.
func jsonOunces(d decimal.Decimal) string { return d.Round(ounceDecimals).String() }

// percent shows a fraction 0..1 as a percentage with one decimal.
func percent(w decimal.Decimal) string {
	return decimal.NewFromInt(100).Mul(w).StringFixed(1) + "%"
}

// ageString shows how old a quote is: "45m", "5h", "2d 3h", "12d".
func ageString(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 10*24*time.Hour:
		days := int(d / (24 * time.Hour))
		hours := int((d - time.Duration(days)*24*time.Hour) / time.Hour)
		if hours == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd %dh", days, hours)
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// timeString shows a time to the minute, in UTC.
func timeString(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
