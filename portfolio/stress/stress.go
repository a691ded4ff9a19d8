// Package stress runs stress tests: scenarios of market moves and custody
// events applied to a valuation. A scenario either replays the bundled
// market history over a window (each holding moves as the asset it
// follows did) or applies hypothetical shocks whose parameters it shows;
// custody events then freeze, lose, bail in or confiscate the holdings
// they hit. The result gives the value before and after in the valuation
// unit, the mark-to-market change, the value you could still reach at day
// 0, 7, 30 and 365, every holding's part and the worst-hit holdings.
//
// It is pure: a valuation, a scenario and the history in, a Result out.
// Money is decimal, rounded to the unit's smallest unit per holding, and
// totals are the exact sums of the holdings; the growth factors read from
// the history are float64 turned into decimals. docs/analytics.md
// ("Stress tests") states every formula and convention.
package stress

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// Scenario is a stress test; the type lives in package portfolio so the
// portfolio file can hold the owner's own.
type Scenario = portfolio.Scenario

// Checkpoints are the days after the scenario starts at which the
// accessible value is measured.
var Checkpoints = [4]int{0, 7, 30, 365}

// NCheckpoints is the number of checkpoints.
const NCheckpoints = len(Checkpoints)

// WorstCount is how many worst-hit holdings a result names.
const WorstCount = 5

// never is the day a holding frozen for good comes back.
const never = math.MaxInt32

// Result is one scenario applied to one valuation.
type Result struct {
	Scenario Scenario
	Unit     portfolio.Unit
	// Before is the value of the priced holdings at day 0 (the
	// valuation's total).
	Before decimal.Decimal
	// MarketAfter is the value after the market moves alone.
	MarketAfter decimal.Decimal
	// After is the value owned at the end: after the market moves and
	// the custody events, counting recoveries however late and holdings
	// frozen for good (still owned, never reachable).
	After decimal.Decimal
	// Accessible is the value you can reach at each checkpoint, at the
	// after-scenario prices: frozen and lost holdings are left out until
	// they come back, if ever.
	Accessible [NCheckpoints]decimal.Decimal
	// Holdings are the priced holdings, in portfolio order.
	Holdings []Holding
	// Worst indexes Holdings: the holdings that lose most of their
	// day-0 value by day 365 (Holding.Hit), worst first, at most
	// WorstCount, only those that lose something.
	Worst []int
	// Assets are the moves the scenario applies to the assets held, in
	// the valuation unit.
	Assets []AssetMove
	// Low is, for a replay, the lowest point of the holdings' market
	// value along the way, month by month; nil for a hypothetical
	// scenario.
	Low *Low
	// Excluded are holdings left out: no price in the unit.
	Excluded []Excluded
	// Notes say what the figures assume: missing history, a unit without
	// history, banks without an insurance cap, parts of the scenario
	// that could not apply.
	Notes []string
}

// MarketChange is the change from the market moves alone.
func (r *Result) MarketChange() decimal.Decimal { return r.MarketAfter.Sub(r.Before) }

// Change is the change in what is owned at the end, custody events
// included.
func (r *Result) Change() decimal.Decimal { return r.After.Sub(r.Before) }

// Holding is one holding's part in a result.
type Holding struct {
	ID        string
	Label     string
	Kind      portfolio.Kind
	Custodian string // custodian ID
	// Follows is the asset whose move the holding takes ("" when the
	// history has none over the window).
	Follows string
	// Growth is the factor the market moves multiply the holding's
	// value by, in the unit.
	Growth      decimal.Decimal
	Before      decimal.Decimal
	MarketAfter decimal.Decimal
	After       decimal.Decimal
	Accessible  [NCheckpoints]decimal.Decimal
	// Events say, in words, what the custody events did to it.
	Events []string
}

// Hit is what the holding loses by day 365: its day-0 value minus what
// is accessible then.
func (h *Holding) Hit() decimal.Decimal { return h.Before.Sub(h.Accessible[NCheckpoints-1]) }

// Change is the holding's change in value owned at the end.
func (h *Holding) Change() decimal.Decimal { return h.After.Sub(h.Before) }

// Low is the lowest month of a replay: the day-0 holdings, unchanged in
// quantity, valued at each month's levels of the window in the unit
// (market moves only: no stated move, no custody event). It is the first
// month, a multiple of 1, when no later month is lower.
type Low struct {
	Month history.Month
	// Value is Before times Multiple, rounded to the unit.
	Value decimal.Decimal
	// Multiple is that month's value over the day-0 value.
	Multiple float64
}

// AssetMove is how one asset held moves under a scenario.
type AssetMove struct {
	Asset string // BTC, XAU, a currency, EQUITIES, TBILL...
	// Missing is true when the history has no data for the asset over
	// the window: it keeps its day-0 value in the unit.
	Missing bool
	// History is the change of its USD value over the replay window
	// (zero for a hypothetical scenario or a missing asset).
	History decimal.Decimal
	// Shock is the hypothetical move applied on top (zero for none).
	Shock decimal.Decimal
	// InUnit is the resulting change of its value in the valuation
	// unit: Growth - 1.
	InUnit decimal.Decimal
}

// Excluded is a holding left out of a result, and why.
type Excluded struct {
	Holding string
	Reason  string
}

// WindowError is a replay whose window the bundled history does not
// cover at all, or whose months are malformed.
type WindowError struct {
	Scenario string
	Msg      string
}

func (e *WindowError) Error() string { return fmt.Sprintf("scenario %q: %s", e.Scenario, e.Msg) }

// ErrNoHistory is returned for a replay run without history.
var ErrNoHistory = errors.New("stress: a replay needs the bundled history")

// growthPrecision is the number of decimal places growth factors keep.
const growthPrecision = 16

// RunLibrary runs the whole library on v: the built-in scenarios, then
// the portfolio's own, in that order. It is the stress table of a
// portfolio (or of a what-if copy of one), one Result per scenario.
func RunLibrary(v *portfolio.Valuation, d *history.Data) ([]*Result, error) {
	return RunAll(v, Library(v.Portfolio), d)
}

// RunAll runs every scenario on v, in order. The first error stops it.
func RunAll(v *portfolio.Valuation, scs []Scenario, d *history.Data) ([]*Result, error) {
	out := make([]*Result, 0, len(scs))
	pr := prepare(v)
	for i := range scs {
		r, err := runScenario(v, &scs[i], d, pr)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Failure is a scenario that could not run, and why.
type Failure struct {
	ID  string
	Err error
}

// RunEach runs every scenario on v, in order, like RunAll, except that a
// scenario that cannot run (a window of the file's outside the bundled
// history, say) does not stop the others: it is among the failures.
func RunEach(v *portfolio.Valuation, scs []Scenario, d *history.Data) ([]*Result, []Failure) {
	out := make([]*Result, 0, len(scs))
	var failed []Failure
	pr := prepare(v)
	for i := range scs {
		r, err := runScenario(v, &scs[i], d, pr)
		if err != nil {
			failed = append(failed, Failure{ID: scs[i].ID, Err: err})
			continue
		}
		out = append(out, r)
	}
	return out, failed
}

// Run applies s to v. d is needed for a replay (nil is ErrNoHistory). The
// errors are ErrNoHistory, *WindowError, and a unit the scenario makes
// worthless.
func Run(v *portfolio.Valuation, s *Scenario, d *history.Data) (*Result, error) {
	return runScenario(v, s, d, prepare(v))
}

// prepared is what does not change from one scenario to the next:
// every holding's label and the profile that decides its market move,
// the history mapping, the custodians by ID and the converter into the
// unit.
type prepared struct {
	labels     []string
	prof       []int     // holding index -> index into profiles
	profiles   []profile // before a scenario's HomeAs
	mapping    history.Mapping
	custodians map[string]*portfolio.Custodian
	conv       *portfolio.Converter // built on first use
}

// prepare works out what prepared holds once, for RunAll's scenarios.
func prepare(v *portfolio.Valuation) *prepared {
	p := v.Portfolio
	pr := &prepared{labels: make([]string, len(p.Holdings)), prof: make([]int, len(p.Holdings)), mapping: history.NewMapping(p),
		custodians: make(map[string]*portfolio.Custodian, len(p.Custodians))}
	for i := range p.Custodians {
		pr.custodians[p.Custodians[i].ID] = &p.Custodians[i]
	}
	e := &env{p: p, mapping: pr.mapping, homeCur: p.HomeCurrency(), s: &Scenario{}}
	ids := map[holdingKey]int{}
	for i := range p.Holdings {
		h := &p.Holdings[i]
		pr.labels[i] = h.Label()
		k := holdingKey{kind: h.Kind, ticker: h.Ticker, class: h.AssetClass, currency: h.Currency}
		id, ok := ids[k]
		if !ok {
			id = len(pr.profiles)
			ids[k] = id
			pr.profiles = append(pr.profiles, e.profileOf(h))
		}
		pr.prof[i] = id
	}
	return pr
}

func runScenario(v *portfolio.Valuation, s *Scenario, d *history.Data, pr *prepared) (*Result, error) {
	p := v.Portfolio
	e, err := newEnv(v, s, d, pr)
	if err != nil {
		return nil, err
	}
	r := &Result{Scenario: *s, Unit: v.Unit}
	scale := v.Unit.Scale()

	// Market moves, holding by holding. When the valuation's lines fit
	// int64 (they nearly always do) the products are rounded in integer
	// arithmetic; otherwise in decimals.
	r.Holdings = make([]Holding, 0, len(v.Lines))
	lineOf := make([]int, 0, len(v.Lines))    // result index -> valuation line
	coefs := make([]int64, 0, len(v.Lines))   // result index -> market value coefficient, when fast
	befores := make([]int64, 0, len(v.Lines)) // result index -> day-0 value coefficient, when fast
	down := make([]bool, 0, len(v.Lines))     // result index -> the market moves it down
	fast := true
	var weights []float64 // replay: day-0 value by profile, for the low
	for li, l := range v.Lines {
		h := &p.Holdings[l.Index]
		if l.Unpriced {
			r.Excluded = append(r.Excluded, Excluded{Holding: h.ID, Reason: "no price in " + string(v.Unit)})
			continue
		}
		key, g := e.holdingGrowth(l.Index)
		if e.replay {
			if weights == nil {
				weights = make([]float64, len(pr.profiles))
			}
			// Only the proportions matter: the coefficient will do, and
			// costs no decimal conversion.
			if b, ok := v.LineCoefficient(li); ok {
				weights[pr.prof[l.Index]] += float64(b)
			} else {
				weights[pr.prof[l.Index]] += l.Value.InexactFloat64()
			}
		}
		hr := Holding{ID: h.ID, Label: pr.labels[l.Index], Kind: h.Kind, Custodian: h.Custodian, Follows: key, Growth: g.g, Before: l.Value}
		var mc int64
		done := false
		if g.unit {
			// Unmoved: the day-0 value as it is.
			hr.MarketAfter, done = l.Value, true
			mc, _ = v.LineCoefficient(li)
		} else if fast {
			if b, ok := v.LineCoefficient(li); ok {
				if mc, ok = mulRound(b, g.f); ok {
					hr.MarketAfter, done = decimal.New(mc, -scale), true
				}
			}
		}
		if !done {
			fast = false
			hr.MarketAfter = l.Value.Mul(g.g).Round(scale)
		}
		if _, ok := v.LineCoefficient(li); !ok {
			fast = false
		}
		r.Holdings = append(r.Holdings, hr)
		lineOf = append(lineOf, l.Index)
		coefs = append(coefs, mc)
		b, _ := v.LineCoefficient(li)
		befores = append(befores, b)
		down = append(down, g.down)
	}

	// Custody events: each holding hit becomes pieces of its value that
	// come back on given days.
	states := make(map[int]*state) // result index -> custody state
	for ei := range s.Events {
		if err := e.apply(&s.Events[ei], r, lineOf, states); err != nil {
			return nil, err
		}
	}

	// Every holding's values, then the totals: exact sums of the rounded
	// holdings, in int64 when fast and no sum overflows, else in decimals.
	for i := range r.Holdings {
		hr := &r.Holdings[i]
		if st := states[i]; st != nil {
			hr.After, hr.Accessible = st.values(scale, e.zero)
			hr.Events = st.words
			continue
		}
		hr.After = hr.MarketAfter
		for k := range hr.Accessible {
			hr.Accessible[k] = hr.MarketAfter
		}
	}
	r.Before = v.Total // unpriced holdings have no value: the priced lines' sum
	if !fast || e.bigValues || !intTotals(r, states, coefs, scale) {
		decimalTotals(r)
	}
	r.Worst = worst(r.Holdings, states, down, befores, coefs, fast)
	r.Assets = e.assetMoves()
	if e.replay {
		r.Low = e.low(weights, v.Total, scale)
	}
	r.Notes = append(e.notes, r.Notes...)
	return r, nil
}

var one = decimal.NewFromInt(1)

// intTotals sums the holdings' values as int64 coefficients: the market
// values from coefs, the others from the rounded decimals of the holdings
// custody events touched. It reports false, leaving r as it was, when a
// sum would overflow.
func intTotals(r *Result, states map[int]*state, coefs []int64, scale int32) bool {
	var market, after int64
	var acc [NCheckpoints]int64
	ok := true
	add := func(sum *int64, x int64) {
		if (x > 0 && *sum > math.MaxInt64-x) || (x < 0 && *sum < math.MinInt64-x) {
			ok = false
		}
		*sum += x
	}
	for i := range r.Holdings {
		hr := &r.Holdings[i]
		add(&market, coefs[i])
		if states[i] == nil {
			add(&after, coefs[i])
			for k := range acc {
				add(&acc[k], coefs[i])
			}
			continue
		}
		add(&after, coefOf(hr.After, scale))
		for k := range acc {
			add(&acc[k], coefOf(hr.Accessible[k], scale))
		}
	}
	if !ok {
		return false
	}
	r.MarketAfter, r.After = decimal.New(market, -scale), decimal.New(after, -scale)
	for k := range acc {
		r.Accessible[k] = decimal.New(acc[k], -scale)
	}
	return true
}

// decimalTotals sums the holdings' values in decimals.
func decimalTotals(r *Result) {
	r.MarketAfter, r.After = decimal.Zero, decimal.Zero
	for k := range r.Accessible {
		r.Accessible[k] = decimal.Zero
	}
	for i := range r.Holdings {
		hr := &r.Holdings[i]
		r.MarketAfter = r.MarketAfter.Add(hr.MarketAfter)
		r.After = r.After.Add(hr.After)
		for k := range r.Accessible {
			r.Accessible[k] = r.Accessible[k].Add(hr.Accessible[k])
		}
	}
}

// worst ranks the holdings that lose something by day 365. A holding no
// custody event touched loses only if the market moves it down; when fast,
// its loss is the difference of the integer coefficients.
func worst(hs []Holding, states map[int]*state, down []bool, befores, coefs []int64, fast bool) []int {
	type cand struct {
		i   int
		hit decimal.Decimal // when not fast
		c   int64           // when fast
	}
	var cs []cand
	for i := range hs {
		touched := states[i] != nil
		if !touched && !down[i] {
			continue
		}
		switch {
		case fast && !touched:
			if d := befores[i] - coefs[i]; d > 0 {
				cs = append(cs, cand{i: i, c: d})
			}
		case fast:
			if hit := hs[i].Hit(); hit.IsPositive() {
				cs = append(cs, cand{i: i, c: hit.Shift(hs[i].Before.Exponent() * -1).IntPart()})
			}
		default:
			if hit := hs[i].Hit(); hit.IsPositive() {
				cs = append(cs, cand{i: i, hit: hit})
			}
		}
	}
	// The first WorstCount by hit, earlier holdings first on ties: a
	// selection, not a sort of every candidate.
	greater := func(a, b cand) bool {
		if fast {
			return a.c > b.c
		}
		return a.hit.GreaterThan(b.hit)
	}
	var top []cand
	for _, c := range cs {
		if len(top) == WorstCount && !greater(c, top[len(top)-1]) {
			continue
		}
		j := len(top)
		for j > 0 && greater(c, top[j-1]) {
			j--
		}
		top = slices.Insert(top, j, c)
		if len(top) > WorstCount {
			top = top[:WorstCount]
		}
	}
	idx := make([]int, len(top))
	for i, c := range top {
		idx[i] = c.i
	}
	return idx
}

// coefOf is d, a value rounded to the unit (or zero), as a whole number
// of the unit's smallest unit. Only the fast path calls it, where every
// value fits an int64.
func coefOf(d decimal.Decimal, scale int32) int64 {
	if d.Exponent() == -scale {
		return d.CoefficientInt64()
	}
	return d.Shift(scale).IntPart()
}

// piece is a share of a holding's base value that is reachable from a
// day on (never: frozen for good).
type piece struct {
	share decimal.Decimal
	from  int
}

// state is what the custody events did to one holding so far.
type state struct {
	base   decimal.Decimal // the value the pieces are shares of: the market value, or a confiscation's payment
	pieces []piece
	words  []string
}

func newState(base decimal.Decimal) *state {
	return &state{base: base, pieces: []piece{{share: one, from: 0}}}
}

// freeze makes every piece reachable no earlier than day.
func (st *state) freeze(day int) {
	for i := range st.pieces {
		st.pieces[i].from = max(st.pieces[i].from, day)
	}
}

// lose takes share of every piece away at day 0 and gives recovery of
// what was lost back from day back.
func (st *state) lose(share, recovery decimal.Decimal, back int) {
	keep := one.Sub(share)
	var out []piece
	for _, p := range st.pieces {
		if keep.IsPositive() {
			out = append(out, piece{share: p.share.Mul(keep), from: p.from})
		}
		if recovery.IsPositive() {
			out = append(out, piece{share: p.share.Mul(share).Mul(recovery), from: max(p.from, back)})
		}
	}
	st.pieces = out
}

// values rounds the owned and accessible values.
func (st *state) values(scale int32, zero decimal.Decimal) (after decimal.Decimal, acc [NCheckpoints]decimal.Decimal) {
	total := decimal.Zero
	var at [NCheckpoints]decimal.Decimal
	for _, p := range st.pieces {
		total = total.Add(p.share)
		for k, day := range Checkpoints {
			if p.from <= day {
				at[k] = at[k].Add(p.share)
			}
		}
	}
	times := func(share decimal.Decimal) decimal.Decimal {
		switch {
		case share.IsZero():
			return zero
		case share.Equal(one):
			return st.base
		}
		return st.base.Mul(share).Round(scale)
	}
	after = times(total)
	for k := range at {
		acc[k] = times(at[k])
	}
	return after, acc
}

// pct writes a share as a percentage for the words of a result.
func pct(d decimal.Decimal) string {
	s := d.Mul(decimal.NewFromInt(100)).Round(2).String()
	return s + "%"
}

// days writes a number of days.
func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func joinKinds(ks []portfolio.CustodyKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = strings.ToLower(k.Label())
	}
	return strings.Join(s, ", ")
}
