package portfolio

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// Unit is what a value is measured in: an ISO 4217 currency code (USD, EUR,
// CHF...), XAU (troy ounces of fine gold), BTC, or SAT (satoshis).
type Unit string

// Units that are not plain currencies.
const (
	UnitBTC Unit = "BTC"
	UnitSat Unit = "SAT"
	UnitXAU Unit = "XAU"
)

// ParseUnit reads a valuation unit as a user types it: a currency code in any
// case, "xau" or "oz" for gold ounces, "btc", or "sat"/"sats". It fails for a
// code that is not in ISO 4217.
func ParseUnit(s string) (Unit, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	switch t {
	case "SAT", "SATS", "SATOSHI", "SATOSHIS":
		return UnitSat, nil
	case "BTC", "XBT":
		return UnitBTC, nil
	case "XAU", "OZ", "OZT":
		return UnitXAU, nil
	}
	if err := CheckCurrency(t); err != nil {
		return "", fmt.Errorf("unknown unit %q: want an ISO 4217 currency (USD, EUR, CHF...), XAU, BTC or sats", s)
	}
	return Unit(t), nil
}

// CheckCurrency reports whether code is an ISO 4217 currency code in upper
// case. Precious-metal and testing codes (XAU, XAG, XTS...) are refused as
// cash currencies; BTC is not a currency code.
func CheckCurrency(code string) error {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return fmt.Errorf("unknown currency %q: want a three-letter ISO 4217 code such as USD", code)
	}
	u, err := currency.ParseISO(code)
	if err != nil {
		return fmt.Errorf("unknown currency %q: not an ISO 4217 code", code)
	}
	switch code {
	case "XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA":
		return fmt.Errorf("%q is not a cash currency", code)
	}
	_ = u
	return nil
}

// CheckCountry reports whether code is an ISO 3166-1 alpha-2 country code in
// upper case.
func CheckCountry(code string) error {
	if len(code) != 2 || strings.ToUpper(code) != code {
		return fmt.Errorf("unknown country %q: want a two-letter ISO 3166 code such as CH", code)
	}
	r, err := language.ParseRegion(code)
	if err != nil || !r.IsCountry() {
		return fmt.Errorf("unknown country %q: not an ISO 3166 country code", code)
	}
	return nil
}

// Scale is the number of decimal places of the smallest unit of u: 2 for
// USD, 0 for JPY, 8 for BTC, 0 for SAT and 6 for XAU (a microgram-level
// fraction of an ounce).
func (u Unit) Scale() int32 {
	switch u {
	case UnitBTC:
		return 8
	case UnitSat:
		return 0
	case UnitXAU:
		return 6
	}
	cu, err := currency.ParseISO(string(u))
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(cu)
	return int32(scale)
}

// Symbol is the short label shown next to amounts in u.
func (u Unit) Symbol() string {
	switch u {
	case UnitSat:
		return "sats"
	case UnitXAU:
		return "oz"
	}
	return string(u)
}

// node is the name of u in the conversion graph: SAT is valued through BTC.
func (u Unit) node() string {
	if u == UnitSat {
		return string(UnitBTC)
	}
	return string(u)
}

var satsPerBTC = decimal.New(1, 8)

// Format writes v rounded to u's smallest unit with thousands separators,
// followed by the unit's symbol.
func (u Unit) Format(v decimal.Decimal) string {
	return FormatDecimal(v, u.Scale()) + " " + u.Symbol()
}

// FormatDecimal writes v rounded to scale places with thousands separators.
func FormatDecimal(v decimal.Decimal, scale int32) string {
	var digits string
	if v.Exponent() == -scale && v.NumDigits() <= 18 {
		// The common case, a value already rounded to its unit: format
		// the integer coefficient, without decimal's string conversion.
		c := v.CoefficientInt64()
		neg := c < 0
		if neg {
			c = -c
		}
		digits = strconv.FormatInt(c, 10)
		if scale > 0 {
			if pad := int(scale) + 1 - len(digits); pad > 0 {
				digits = strings.Repeat("0", pad) + digits
			}
			digits = digits[:len(digits)-int(scale)] + "." + digits[len(digits)-int(scale):]
		}
		if neg {
			digits = "-" + digits
		}
	} else {
		digits = v.StringFixed(scale)
	}
	return group(digits)
}

// group puts thousands separators into a plain decimal string.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.Grow(len(s) + len(s)/3 + 1)
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
