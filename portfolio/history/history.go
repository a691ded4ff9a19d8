// Package history is hardfolio's bundled market history: monthly series of
// gold, bitcoin, US equities, US consumer prices, the 3-month T-bill rate
// and exchange rates, embedded in the binary and parsed on first use, and
// the aligned monthly returns that analysis, stress tests and Monte Carlo
// are computed from. It also maps a holding to the series its value
// follows.
//
// Conventions (docs/analytics.md states them in full):
//   - One calendar of months (Month, YYYY-MM). A series has one value per
//     month from its first to its last month, no gaps.
//   - Most series are monthly averages of daily prices (World Bank gold,
//     FRED exchange rates, Shiller's S&P 500); bitcoin and the TRY, RUB and
//     UAH rates are month-end values. Series.Basis says which.
//   - Exchange-rate files give units of currency per USD; a currency's
//     level (Level) is the inverse, the USD value of one unit.
//   - Levels are nominal USD; Options.Real deflates them by US CPI-U.
//   - The return of month m is level(m)/level(m-1) - 1.
//
// Statistics here are float64; money is never computed from them.
package history

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
)

//go:embed data
var files embed.FS

// Basis says how a monthly value was taken from the daily market.
type Basis string

// Bases of the bundled series.
const (
	MonthlyAverage Basis = "monthly_average" // average of the month's daily values
	MonthEnd       Basis = "month_end"       // last value of the month
	Derived        Basis = "derived"         // computed from other series (see Series.Source)
)

// SeriesID names one bundled series.
type SeriesID string

// The bundled series. Exchange rates are currency per USD, as in the files.
const (
	SeriesGold       SeriesID = "gold_worldbank"      // gold, USD/oz, World Bank, monthly average, 1960-
	SeriesGoldLondon SeriesID = "gold_london"         // gold, USD/oz, Bundesbank London fixing, monthly average, 1950-2018
	SeriesBTC        SeriesID = "btc_bitstamp"        // bitcoin, USD, Bitstamp month-end close, 2012-
	SeriesEquities   SeriesID = "sp500_total_return"  // S&P total-return index (dividends reinvested), 1871-
	SeriesCPI        SeriesID = "us_cpi_u"            // US CPI-U NSA, 1982-84 = 100, 1913-
	SeriesTBillRate  SeriesID = "us_tbill_3m"         // 3-month T-bill rate, % p.a., discount basis, 1934-
	SeriesEURPerUSD  SeriesID = "eur_per_usd"         // 1999-
	SeriesDEMPerUSD  SeriesID = "dem_per_usd"         // 1971-2001
	SeriesCHFPerUSD  SeriesID = "chf_per_usd"         // 1971-
	SeriesGBPPerUSD  SeriesID = "gbp_per_usd"         // 1971-
	SeriesJPYPerUSD  SeriesID = "jpy_per_usd"         // 1971-
	SeriesVESPerUSD  SeriesID = "ves_per_usd"         // official rate in bolívar digital (VED), 1995-
	SeriesTRYPerUSD  SeriesID = "try_per_usd"         // ECB cross rate, month end, 1999-2024
	SeriesRUBPerUSD  SeriesID = "rub_per_usd"         // ECB cross rate, month end, 2005-2022
	SeriesUAHPerUSD  SeriesID = "uah_per_usd"         // National Bank of Ukraine, month end, 1996-2022
	seriesEURSpliced SeriesID = "eur_per_usd_spliced" // EUR from 1999, DEM/1.95583 before
)

// Series is one monthly series: a value for every month from Start to
// End. Values are shared: do not change them.
type Series struct {
	ID     SeriesID
	Name   string // "Gold (World Bank)"
	Unit   string // "USD per troy ounce"
	Basis  Basis
	Source string // where the figures come from, in a sentence
	File   string // the bundled file, relative to the data folder ("gold/...csv"); empty when derived
	Start  Month
	Values []float64
	// Filled lists months the source leaves empty whose value was filled
	// in by geometric interpolation between their neighbours.
	Filled []Month
}

// End is the series' last month.
func (s *Series) End() Month { return s.Start + Month(len(s.Values)) - 1 }

// At returns the value of month m, and false outside the series.
func (s *Series) At(m Month) (float64, bool) {
	i := int(m - s.Start)
	if i < 0 || i >= len(s.Values) {
		return 0, false
	}
	return s.Values[i], true
}

// Covers reports whether the series has a value for every month from
// from to to.
func (s *Series) Covers(from, to Month) bool { return from >= s.Start && to <= s.End() }

// catalogEntry describes a bundled file: where it is and what it holds.
type catalogEntry struct {
	id     SeriesID
	file   string
	column string // the value column; "value" unless said
	name   string
	unit   string
	basis  Basis
	source string
}

// catalog lists the bundled series. docs/data.md gives each one's source,
// licence and caveats at length.
var catalog = []catalogEntry{
	{SeriesGold, "gold/gold_usd_monthly_avg_worldbank.csv", "value", "Gold (World Bank)", "USD per troy ounce", MonthlyAverage,
		"World Bank Commodity Price Data (Pink Sheet), monthly average"},
	{SeriesGoldLondon, "gold/gold_usd_monthly_avg_london_bundesbank.csv", "value", "Gold (London, Bundesbank)", "USD per troy ounce", MonthlyAverage,
		"Deutsche Bundesbank, London gold price, monthly average of the morning fixing from April 1968"},
	{SeriesBTC, "bitcoin/btc_usd_monthly_close.csv", "value", "Bitcoin (Bitstamp)", "USD per BTC", MonthEnd,
		"Bitstamp BTC/USD, last daily close of each month (Kaggle dataset by mczielinski, via a GPL-3.0 repository)"},
	{SeriesEquities, "equities/sp500_total_return_index_monthly.csv", "value", "S&P 500 total return", "index, 1871-01 = 1", Derived,
		"Robert Shiller's S&P Composite monthly average prices and dividends, dividends reinvested monthly"},
	{SeriesCPI, "macro/us_cpi_u_nsa_monthly.csv", "value", "US CPI-U", "index, 1982-84 = 100", MonthlyAverage,
		"US Bureau of Labor Statistics, CPI-U all items, not seasonally adjusted (CUUR0000SA0)"},
	{SeriesTBillRate, "macro/us_tbill_3m_monthly.csv", "value", "3-month T-bill rate", "percent per year, discount basis", MonthlyAverage,
		"Board of Governors of the Federal Reserve System (H.15), via FRED (TB3MS)"},
	{SeriesEURPerUSD, "fx/eur_per_usd_monthly_avg_fred.csv", "value", "EUR per USD", "EUR per USD", MonthlyAverage,
		"Federal Reserve H.10 via FRED (EXUSEU, inverted)"},
	{SeriesDEMPerUSD, "fx/dem_per_usd_monthly_avg_fred.csv", "value", "DEM per USD", "DEM per USD", MonthlyAverage,
		"Federal Reserve H.10 via FRED (EXGEUS)"},
	{SeriesCHFPerUSD, "fx/chf_per_usd_monthly_avg_fred.csv", "value", "CHF per USD", "CHF per USD", MonthlyAverage,
		"Federal Reserve H.10 via FRED (EXSZUS)"},
	{SeriesGBPPerUSD, "fx/gbp_per_usd_monthly_avg_fred.csv", "value", "GBP per USD", "GBP per USD", MonthlyAverage,
		"Federal Reserve H.10 via FRED (EXUSUK, inverted)"},
	{SeriesJPYPerUSD, "fx/jpy_per_usd_monthly_avg_fred.csv", "value", "JPY per USD", "JPY per USD", MonthlyAverage,
		"Federal Reserve H.10 via FRED (EXJPUS)"},
	{SeriesVESPerUSD, "fx/ves_per_usd_monthly_avg_fred.csv", "value", "VED per USD (official)", "VED per USD, redenominations chained", MonthlyAverage,
		"Federal Reserve H.10 via FRED (EXVZUS), official rate, VEF and VES chained into VED"},
	{SeriesTRYPerUSD, "fx/try_per_usd_monthly_end_ecb.csv", "value", "TRY per USD", "TRY per USD", MonthEnd,
		"European Central Bank reference rates, TRY/EUR over USD/EUR, last fixing of the month"},
	{SeriesRUBPerUSD, "fx/rub_per_usd_monthly_end_ecb.csv", "value", "RUB per USD", "RUB per USD", MonthEnd,
		"European Central Bank reference rates, RUB/EUR over USD/EUR, last fixing of the month"},
	{SeriesUAHPerUSD, "fx/uah_per_usd_monthly_end_nbu.csv", "value", "UAH per USD", "UAH per USD", MonthEnd,
		"National Bank of Ukraine official rate, last published rate of the month"},
}

// DEMPerEUR is the irrevocable conversion rate of the Deutsche Mark into
// the euro (1 EUR = 1.95583 DEM), used to carry the euro back before 1999.
const DEMPerEUR = 1.95583

// Data is the bundled history, parsed. It is immutable and safe for
// concurrent use.
type Data struct {
	series  map[SeriesID]*Series
	levels  map[Asset]*Series
	windows []CrisisWindow
	first   Month // the calendar: the earliest and latest month of any series
	last    Month
}

// Load returns the bundled history, parsing the embedded files on the
// first call only; start-up pays nothing until then. The error is for a
// corrupt build: the embedded files are checked by the package's tests.
func Load() (*Data, error) { return load() }

var load = sync.OnceValues(parse)

// MustLoad is Load for callers that treat a corrupt build as fatal, such
// as tests: it panics on the error.
func MustLoad() *Data {
	d, err := load()
	if err != nil {
		panic(err)
	}
	return d
}

// Series returns the bundled series id, or nil.
func (d *Data) Series(id SeriesID) *Series { return d.series[id] }

// SeriesIDs lists the bundled series in catalogue order.
func SeriesIDs() []SeriesID {
	ids := make([]SeriesID, len(catalog))
	for i, c := range catalog {
		ids[i] = c.id
	}
	return ids
}

// SeriesByFile returns the series read from file (a path relative to the
// data folder, as the crisis windows name them), or nil.
func (d *Data) SeriesByFile(file string) *Series {
	for _, s := range d.series {
		if s.File == file {
			return s
		}
	}
	return nil
}

// Calendar is the span of months that any bundled series covers.
func (d *Data) Calendar() (first, last Month) { return d.first, d.last }

// CPI is the US consumer price index used to deflate.
func (d *Data) CPI() *Series { return d.series[SeriesCPI] }

// ParseError is a malformed bundled file: it names the file and line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("history: %s:%d: %s", e.File, e.Line, e.Msg) }

func parse() (*Data, error) {
	d := &Data{series: make(map[SeriesID]*Series, len(catalog)+1)}
	for _, c := range catalog {
		s, err := readSeries(c)
		if err != nil {
			return nil, err
		}
		d.series[c.id] = s
	}
	d.first, d.last = math.MaxInt32, math.MinInt32
	for _, s := range d.series {
		d.first = min(d.first, s.Start)
		d.last = max(d.last, s.End())
	}
	d.series[seriesEURSpliced] = spliceEUR(d.series[SeriesEURPerUSD], d.series[SeriesDEMPerUSD])
	d.levels = buildLevels(d)
	w, err := readWindows()
	if err != nil {
		return nil, err
	}
	d.windows = w
	return d, nil
}

// readSeries parses one monthly file: a header naming the column, then
// one row per month in ascending order with no month missing. An empty
// value is filled by geometric interpolation and recorded in Filled.
func readSeries(c catalogEntry) (*Series, error) {
	raw, err := files.ReadFile("data/" + c.file)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	s := &Series{ID: c.id, Name: c.name, Unit: c.unit, Basis: c.basis, Source: c.source, File: c.file}
	r := csv.NewReader(bytes.NewReader(raw))
	r.ReuseRecord = true
	bad := func(line int, f string, a ...any) error {
		return &ParseError{File: c.file, Line: line, Msg: fmt.Sprintf(f, a...)}
	}
	header, err := r.Read()
	if err != nil {
		return nil, bad(1, "no header: %v", err)
	}
	col := -1
	for i, h := range header {
		if h == c.column {
			col = i
		}
	}
	if len(header) == 0 || header[0] != "date" || col < 0 {
		return nil, bad(1, "header %v: want date and %s columns", header, c.column)
	}
	s.Values = make([]float64, 0, bytes.Count(raw, []byte{'\n'}))
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad(line, "%v", err)
		}
		m, err := ParseMonth(rec[0])
		if err != nil {
			return nil, bad(line, "%v", err)
		}
		if len(s.Values) == 0 {
			s.Start = m
		} else if want := s.End() + 1; m != want {
			return nil, bad(line, "month %s: want %s (months in order, none missing)", m, want)
		}
		if rec[col] == "" {
			s.Filled = append(s.Filled, m)
			s.Values = append(s.Values, math.NaN())
			continue
		}
		v, err := strconv.ParseFloat(rec[col], 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, bad(line, "value %q: want a positive number", rec[col])
		}
		s.Values = append(s.Values, v)
	}
	if len(s.Values) == 0 {
		return nil, bad(2, "no rows")
	}
	for _, m := range s.Filled {
		i := int(m - s.Start)
		if i == 0 || i == len(s.Values)-1 || math.IsNaN(s.Values[i-1]) || math.IsNaN(s.Values[i+1]) {
			return nil, bad(0, "empty value at %s cannot be interpolated", m)
		}
		s.Values[i] = math.Sqrt(s.Values[i-1] * s.Values[i+1])
	}
	return s, nil
}

// spliceEUR carries EUR per USD back before 1999 with the Deutsche Mark
// at its conversion rate: the euro's value moved with the mark's within
// the EMS bands, and the mark is the only founding currency bundled.
func spliceEUR(eur, dem *Series) *Series {
	s := &Series{
		ID: seriesEURSpliced, Name: "EUR per USD (DEM before 1999)", Unit: "EUR per USD", Basis: MonthlyAverage,
		Source: eur.Source + "; before 1999-01, " + dem.Source + " divided by 1.95583 DEM per EUR",
		Start:  dem.Start,
	}
	n := int(eur.Start - dem.Start)
	s.Values = make([]float64, 0, n+len(eur.Values))
	for _, v := range dem.Values[:n] {
		s.Values = append(s.Values, v/DEMPerEUR)
	}
	s.Values = append(s.Values, eur.Values...)
	return s
}
