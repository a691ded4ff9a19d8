package history

import (
	"fmt"
	"time"
)

// Month is a calendar month, counted as 12*year + (month-1), so that
// consecutive months are consecutive integers and m+1 is the next month.
// Its text form is YYYY-MM.
type Month int32

// NewMonth returns the month of year y.
func NewMonth(y int, m time.Month) Month { return Month(12*y + int(m) - 1) }

// MonthOf returns the month t falls in (in UTC).
func MonthOf(t time.Time) Month {
	t = t.UTC()
	return NewMonth(t.Year(), t.Month())
}

// ParseMonth reads a YYYY-MM month.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	y, ok1 := digits(s[:4])
	mo, ok2 := digits(s[5:])
	if !ok1 || !ok2 || mo < 1 || mo > 12 {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return NewMonth(y, time.Month(mo)), nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = 10*n + int(c-'0')
	}
	return n, len(s) > 0
}

// Year is the month's year.
func (m Month) Year() int { return int(m) / 12 }

// Month is the month of the year.
func (m Month) Month() time.Month { return time.Month(int(m)%12 + 1) }

// Time is the first instant of the month, in UTC.
func (m Month) Time() time.Time { return time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC) }

// String writes the month as YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Month())) }

// MarshalText writes the month as YYYY-MM, for JSON.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a YYYY-MM month.
func (m *Month) UnmarshalText(b []byte) error {
	x, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = x
	return nil
}
