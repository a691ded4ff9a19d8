package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// decimalFlag is a pflag.Value holding an exact decimal number, so that
// amounts typed on the command line never pass through a float.
type decimalFlag struct{ d *decimal.Decimal }

func (f decimalFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f decimalFlag) Set(s string) error {
	d, err := decimal.NewFromString(strings.ReplaceAll(strings.TrimSpace(s), "_", ""))
	if err != nil {
		return fmt.Errorf("%q is not a decimal number", s)
	}
	*f.d = d
	return nil
}

func (decimalFlag) Type() string { return "decimal" }

// dateFlag is a pflag.Value holding a calendar date (YYYY-MM-DD).
type dateFlag struct{ t *time.Time }

func (f dateFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.DateOnly)
}

func (f dateFlag) Set(s string) error {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a date: want YYYY-MM-DD", s)
	}
	*f.t = t
	return nil
}

func (dateFlag) Type() string { return "date" }

// flagName is the command-line flag that sets a portfolio file field: the
// file's key with '-' for '_' (weight_unit -> weight-unit).
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// fieldErrorsAsFlags rewrites the validation errors of the entry being
// added or edited (section and id) so that they name the flag to fix
// instead of the file field; rename maps a field to another flag when the
// user gave that one (sats set through --btc). Other errors are kept as
// they are, and an error without field errors is returned unchanged.
func fieldErrorsAsFlags(err error, section, id string, rename map[string]string) error {
	es := portfolio.AsErrors(err)
	if len(es) == 0 {
		return err
	}
	msgs := make([]string, 0, len(es))
	for _, e := range es {
		if e.Section != section || e.ID != id || e.Key == "" {
			msgs = append(msgs, e.Error())
			continue
		}
		name := flagName(e.Key)
		if r, ok := rename[e.Key]; ok {
			name = r
		}
		msgs = append(msgs, fmt.Sprintf("%s: --%s: %s", e.Where(), name, e.Msg))
	}
	return errors.New(strings.Join(msgs, "\n"))
}
