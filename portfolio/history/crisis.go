package history

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
)

// CrisisWindow is one row of the bundled crisis windows: a named span of
// time and how one series moved over it. The windows are an editorial
// choice (widely cited peak and trough months), not a source's; the values
// are read from the bundled series files (and from daily and annual files
// that are not bundled, which File names too). Use them as presets and
// test fixtures, not as authoritative figures.
type CrisisWindow struct {
	ID    string // e.g. "gfc_2007_2009"; one ID has a row per series
	Label string
	// Start and End are as the series file writes dates: YYYY-MM for
	// monthly files, YYYY-MM-DD for daily, YYYY for annual.
	Start, End string
	File       string // the series file, relative to the data folder
	StartValue float64
	EndValue   float64
	ChangePct  float64 // EndValue/StartValue - 1, in percent
	// LocalCurrencyChangePct is, for exchange-rate rows, the change in
	// the USD value of one unit of the local currency, in percent; NaN for
	// other rows.
	LocalCurrencyChangePct float64
}

// Monthly reports whether the window's dates are months, and returns them.
func (w CrisisWindow) Monthly() (start, end Month, ok bool) {
	s, err1 := ParseMonth(w.Start)
	e, err2 := ParseMonth(w.End)
	return s, e, err1 == nil && err2 == nil
}

// CrisisWindows returns the bundled crisis windows in file order.
func (d *Data) CrisisWindows() []CrisisWindow { return append([]CrisisWindow(nil), d.windows...) }

const windowsFile = "crisis/crisis_windows.csv"

func readWindows() ([]CrisisWindow, error) {
	raw, err := files.ReadFile("data/" + windowsFile)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = 9
	bad := func(line int, f string, a ...any) error {
		return &ParseError{File: windowsFile, Line: line, Msg: fmt.Sprintf(f, a...)}
	}
	if _, err := r.Read(); err != nil {
		return nil, bad(1, "no header: %v", err)
	}
	var out []CrisisWindow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, bad(line, "%v", err)
		}
		w := CrisisWindow{ID: rec[0], Label: rec[1], Start: rec[2], End: rec[3], File: rec[4], LocalCurrencyChangePct: math.NaN()}
		nums := []*float64{&w.StartValue, &w.EndValue, &w.ChangePct}
		for i, p := range nums {
			if *p, err = strconv.ParseFloat(rec[5+i], 64); err != nil {
				return nil, bad(line, "column %d: %q is not a number", 6+i, rec[5+i])
			}
		}
		if rec[8] != "" {
			if w.LocalCurrencyChangePct, err = strconv.ParseFloat(rec[8], 64); err != nil {
				return nil, bad(line, "column 9: %q is not a number", rec[8])
			}
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, bad(2, "no rows")
	}
	return out, nil
}
