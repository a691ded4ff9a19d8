package history

import (
	"fmt"
	"math"
	"strings"
)

// Asset is something whose value the bundled history follows: bitcoin,
// gold, US equities, US dollar T-bills, or a currency (its ISO 4217 code).
// The names match valuation units where they are one (BTC, XAU, USD,
// EUR...), so a unit is measured with the same series as a holding.
type Asset string

// Assets of the bundled history, besides the currencies.
const (
	BTC      Asset = "BTC"      // bitcoin, Bitstamp month-end close, 2012-
	Gold     Asset = "XAU"      // one troy ounce of gold, World Bank monthly average, 1960-
	Equities Asset = "EQUITIES" // S&P 500 with dividends reinvested, 1871-2025-09
	TBill    Asset = "TBILL"    // US dollars earning the 3-month T-bill rate, 1934-
	USD      Asset = "USD"      // a US dollar earning nothing: the measuring stick
)

// Currencies lists the currencies with bundled exchange rates, besides USD.
var Currencies = []Asset{"EUR", "CHF", "GBP", "JPY", "TRY", "RUB", "UAH", "VES"}

// currencySeries gives the per-USD series of each bundled currency.
var currencySeries = map[Asset]SeriesID{
	"EUR": seriesEURSpliced,
	"CHF": SeriesCHFPerUSD,
	"GBP": SeriesGBPPerUSD,
	"JPY": SeriesJPYPerUSD,
	"TRY": SeriesTRYPerUSD,
	"RUB": SeriesRUBPerUSD,
	"UAH": SeriesUAHPerUSD,
	"VES": SeriesVESPerUSD,
}

// Assets lists every asset with history: bitcoin, gold, equities, T-bills,
// USD, then the currencies.
func Assets() []Asset {
	return append([]Asset{BTC, Gold, Equities, TBill, USD}, Currencies...)
}

// IsCurrency reports whether a is a currency (USD or one of Currencies).
func (a Asset) IsCurrency() bool {
	if a == USD {
		return true
	}
	_, ok := currencySeries[a]
	return ok
}

// Name is the asset in words.
func (a Asset) Name() string {
	switch a {
	case BTC:
		return "Bitcoin"
	case Gold:
		return "Gold"
	case Equities:
		return "US equities (S&P 500 TR)"
	case TBill:
		return "USD T-bills"
	case USD:
		return "USD"
	}
	return string(a)
}

// Level returns the USD value of one unit of a, nominal, for each month
// it is known: the price for BTC and gold, the index for equities and
// T-bills (1 at the month before the first rate), 1 for USD over the whole
// calendar, and 1/rate for a currency (its exchange-rate file gives
// currency per USD). The error is an *UnknownAssetError.
func (d *Data) Level(a Asset) (*Series, error) {
	s, ok := d.levels[a]
	if !ok {
		return nil, &UnknownAssetError{Asset: a}
	}
	return s, nil
}

// Coverage is the span of months the asset's level is known. Its returns
// start one month later.
func (d *Data) Coverage(a Asset) (from, to Month, err error) {
	s, err := d.Level(a)
	if err != nil {
		return 0, 0, err
	}
	return s.Start, s.End(), nil
}

// UnknownAssetError is an asset the bundled history has no series for.
type UnknownAssetError struct{ Asset Asset }

func (e *UnknownAssetError) Error() string {
	return fmt.Sprintf("no bundled history for %q (history covers %s)", string(e.Asset), assetList())
}

func assetList() string {
	as := Assets()
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// WindowError says that the assets asked for have no month of returns in
// common, or not the months asked for.
type WindowError struct {
	Assets   []Asset
	From, To Month // the months asked for; zero when none were
	// Common is the window the assets share (CommonFrom > CommonTo when
	// they share none).
	CommonFrom, CommonTo Month
}

func (e *WindowError) Error() string {
	names := make([]string, len(e.Assets))
	for i, a := range e.Assets {
		names[i] = string(a)
	}
	if e.CommonFrom > e.CommonTo {
		return fmt.Sprintf("the histories of %s have no month in common", strings.Join(names, ", "))
	}
	return fmt.Sprintf("the histories of %s share returns from %s to %s only, not %s to %s",
		strings.Join(names, ", "), e.CommonFrom, e.CommonTo, e.From, e.To)
}

// ErrRealNeedsUSD is returned for real returns in a unit other than USD:
// the only price index bundled is the US CPI.
var ErrRealNeedsUSD = fmt.Errorf("real returns are measured in USD deflated by US CPI-U: the history bundles no other price index")

func buildLevels(d *Data) map[Asset]*Series {
	lv := make(map[Asset]*Series, 5+len(Currencies))
	lv[BTC] = d.series[SeriesBTC]
	lv[Gold] = d.series[SeriesGold]
	lv[Equities] = d.series[SeriesEquities]

	// T-bills: the index grows by the month's rate/12. The monthly
	// average of a discount-basis rate slightly understates the yield
	// earned (docs/analytics.md).
	rate := d.series[SeriesTBillRate]
	tb := &Series{ID: "tbill_index", Name: "USD T-bills", Unit: "index, 1 before the first month", Basis: Derived,
		Source: rate.Source + ", compounded monthly at rate/12", Start: rate.Start - 1}
	tb.Values = make([]float64, len(rate.Values)+1)
	tb.Values[0] = 1
	for i, r := range rate.Values {
		tb.Values[i+1] = tb.Values[i] * (1 + r/1200)
	}
	lv[TBill] = tb

	one := &Series{ID: "usd", Name: "USD", Unit: "USD", Basis: Derived, Source: "constant", Start: d.first}
	one.Values = make([]float64, int(d.last-d.first)+1)
	for i := range one.Values {
		one.Values[i] = 1
	}
	lv[USD] = one

	for a, id := range currencySeries {
		fx := d.series[id]
		s := &Series{ID: id + "_usd_value", Name: string(a), Unit: "USD per " + string(a), Basis: fx.Basis,
			Source: fx.Source + ", inverted", File: "", Start: fx.Start, Values: make([]float64, len(fx.Values))}
		for i, v := range fx.Values {
			s.Values[i] = 1 / v
		}
		lv[a] = s
	}
	return lv
}

// Options choose how returns are measured.
type Options struct {
	// Unit is what values are measured in: USD (""), a currency, XAU or
	// BTC. An asset's return in the unit is (1+r_asset)/(1+r_unit) - 1,
	// both in USD.
	Unit Asset
	// Real deflates by US CPI-U; the unit must be USD.
	Real bool
	// From and To are the first and last month of returns; a zero bound
	// is that of the window all the assets (and the unit, and CPI when
	// Real) share.
	From, To Month
}

// Returns is aligned monthly simple returns: R[i][t] is the return of
// Assets[i] in month From+t, level(m)/level(m-1) - 1, in Unit.
type Returns struct {
	Assets   []Asset
	Unit     Asset
	Real     bool
	From, To Month
	R        [][]float64
}

// Len is the number of months.
func (r *Returns) Len() int { return int(r.To-r.From) + 1 }

// Month is the month of row t.
func (r *Returns) Month(t int) Month { return r.From + Month(t) }

// Log returns the log returns, log(1+r), in the same layout.
func (r *Returns) Log() [][]float64 {
	out := make([][]float64, len(r.R))
	for i, row := range r.R {
		out[i] = make([]float64, len(row))
		for t, x := range row {
			out[i][t] = math.Log1p(x)
		}
	}
	return out
}

// Window is the span of months for which every asset has a return in
// unit (and CPI too when real): from the month after the latest start to
// the earliest end.
func (d *Data) Window(assets []Asset, unit Asset, real bool) (from, to Month, err error) {
	if unit == "" {
		unit = USD
	}
	if real && unit != USD {
		return 0, 0, ErrRealNeedsUSD
	}
	from, to = math.MinInt32, math.MaxInt32
	cover := func(s *Series) {
		from = max(from, s.Start+1)
		to = min(to, s.End())
	}
	for i := 0; i <= len(assets); i++ {
		a := unit
		if i < len(assets) {
			a = assets[i]
		}
		s, err := d.Level(a)
		if err != nil {
			return 0, 0, err
		}
		cover(s)
	}
	if real {
		cover(d.CPI())
	}
	if from > to {
		return from, to, &WindowError{Assets: assets, CommonFrom: from, CommonTo: to}
	}
	return from, to, nil
}

// Returns computes the aligned monthly returns of assets as opt says. The
// errors are *UnknownAssetError, *WindowError (the assets share no month,
// or not the months asked for) and ErrRealNeedsUSD.
func (d *Data) Returns(assets []Asset, opt Options) (*Returns, error) {
	unit := opt.Unit
	if unit == "" {
		unit = USD
	}
	from, to, err := d.Window(assets, unit, opt.Real)
	if err != nil {
		return nil, err
	}
	if opt.From != 0 || opt.To != 0 {
		f, t := opt.From, opt.To
		if f == 0 {
			f = from
		}
		if t == 0 {
			t = to
		}
		if f < from || t > to || f > t {
			return nil, &WindowError{Assets: assets, From: f, To: t, CommonFrom: from, CommonTo: to}
		}
		from, to = f, t
	}
	n := int(to-from) + 1
	out := &Returns{Assets: append([]Asset(nil), assets...), Unit: unit, Real: opt.Real, From: from, To: to, R: make([][]float64, len(assets))}
	// den[t] is the USD value of the unit (times CPI when real) at month
	// from-1+t: the measuring stick every asset is divided by.
	den := make([]float64, n+1)
	us, _ := d.Level(unit)
	cpi := d.CPI()
	for t := range den {
		m := from - 1 + Month(t)
		den[t], _ = us.At(m)
		if opt.Real {
			c, _ := cpi.At(m)
			den[t] *= c
		}
	}
	flat := make([]float64, n*len(assets))
	for i, a := range assets {
		s, _ := d.Level(a)
		row := flat[i*n : (i+1)*n : (i+1)*n]
		base := int(from - 1 - s.Start)
		prev := s.Values[base] / den[0]
		for t := range row {
			cur := s.Values[base+t+1] / den[t+1]
			row[t] = cur/prev - 1
			prev = cur
		}
		out.R[i] = row
	}
	return out, nil
}
