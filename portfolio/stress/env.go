package stress

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// env is what one run of a scenario needs besides the holdings: the
// window, the home country, the unit's own move and the growth of each
// kind of holding, computed once.
type env struct {
	v          *portfolio.Valuation
	p          *portfolio.Portfolio
	s          *Scenario
	d          *history.Data
	replay     bool
	from, to   history.Month
	home       string // home country, or ""
	homeCur    string // its currency, or ""
	mapping    history.Mapping
	custodians map[string]*portfolio.Custodian

	unitHist  float64         // the unit's growth in USD over the window (1 when hypothetical or missing)
	unitAsset history.Asset   // in a replay, the history asset the unit is measured with, when it has history over the window
	unitShock decimal.Decimal // the unit's hypothetical move
	unitDen   decimal.Decimal // (unitHist) * (1 + unitShock)

	growth map[profile]*growthOf
	order  []profile // profiles in the order first met, for Assets
	notes  []string
	noted  map[string]bool
	// bigValues is set when a value the custody events make does not fit
	// an int64 coefficient: the totals are then summed in decimals.
	bigValues bool
	prep      *prepared
	byProfile []*growthOf     // prep profile index -> growth, filled on first use
	zero      decimal.Decimal // zero at the unit's exponent
}

// profile is what decides a holding's market move: the history asset it
// follows, the keys a move may name it by, and its class.
type profile struct {
	hist  history.Asset // "" when the history has none
	key   string        // the asset's name in moves: BTC, XAU, a currency, a proxy asset
	home  bool          // the key is the home currency
	class string
}

// holdingKey is what profileOf reads of a holding.
type holdingKey struct {
	kind                    portfolio.Kind
	ticker, class, currency string
}

type growthOf struct {
	asset   history.Asset   // the history asset followed in this scenario ("" when none)
	g       decimal.Decimal // in the unit
	f       factor          // g, for mulRound
	down    bool            // g < 1
	unit    bool            // g = 1
	missing bool
	hist    decimal.Decimal // history change in USD
	shock   decimal.Decimal
}

func newEnv(v *portfolio.Valuation, s *Scenario, d *history.Data, pr *prepared) (*env, error) {
	p := v.Portfolio
	e := &env{v: v, p: p, s: s, d: d, replay: s.Replay(), mapping: pr.mapping, custodians: pr.custodians, prep: pr,
		home: p.Settings.HomeCountry, homeCur: p.HomeCurrency(), unitHist: 1,
		growth: map[profile]*growthOf{}, noted: map[string]bool{}}
	e.zero = decimal.New(0, -v.Unit.Scale())
	if e.replay {
		if d == nil {
			return nil, ErrNoHistory
		}
		var err error
		if e.from, err = history.ParseMonth(s.From); err != nil {
			return nil, &WindowError{Scenario: s.ID, Msg: "from: " + err.Error()}
		}
		if e.to, err = history.ParseMonth(s.To); err != nil {
			return nil, &WindowError{Scenario: s.ID, Msg: "to: " + err.Error()}
		}
		first, last := d.Calendar()
		if e.to <= e.from {
			return nil, &WindowError{Scenario: s.ID, Msg: fmt.Sprintf("the window %s to %s is empty", s.From, s.To)}
		}
		if e.from < first || e.to > last {
			return nil, &WindowError{Scenario: s.ID, Msg: fmt.Sprintf("the window %s to %s is outside the bundled history (%s to %s)", s.From, s.To, first, last)}
		}
		if s.HomeAs != "" && e.homeCur == "" {
			e.note("No home country is set (settings.home_country), so your own currency cannot follow " + s.HomeAs + ": only holdings in " + s.HomeAs + " do.")
		}
	}

	// The unit: its history asset, and its move.
	ua, err := history.UnitAsset(v.Unit)
	unitKey := string(v.Unit)
	if v.Unit == portfolio.UnitSat {
		unitKey = string(portfolio.UnitBTC)
	}
	if err != nil {
		ua = history.USD
		if e.replay {
			e.note("No bundled history for " + string(v.Unit) + ": it is taken to keep its value against the US dollar over the window.")
		}
	}
	if e.replay {
		if e.homeCur != "" && unitKey == e.homeCur && s.HomeAs != "" {
			ua = history.Asset(s.HomeAs)
		}
		if g, ok := e.histGrowth(ua); ok {
			e.unitHist, e.unitAsset = g, ua
		} else if ua != history.USD {
			e.note(fmt.Sprintf("No bundled history for %s over %s to %s: values are measured as if it kept its value against the US dollar.", ua, s.From, s.To))
		}
	}
	e.unitShock = e.shock(unitKey, e.homeCur != "" && unitKey == e.homeCur, "")
	e.unitDen = decimal.NewFromFloat(e.unitHist).Mul(one.Add(e.unitShock))
	if e.unitDen.Sign() <= 0 {
		return nil, fmt.Errorf("scenario %q makes %s worthless: choose another unit to measure it in", s.ID, v.Unit)
	}
	switch {
	case !e.unitShock.IsZero():
		e.note(fmt.Sprintf("The scenario moves %s itself (%s%s): measured in %s, what does not move with it changes the other way. Another unit shows the scenario from outside.",
			v.Unit, sign(e.unitShock), pct(e.unitShock.Abs()), v.Unit))
	case e.replay && s.HomeAs != "" && e.homeCur != "" && unitKey == e.homeCur:
		e.note(fmt.Sprintf("%s, the unit, follows %s here: measured in %s, what does not fall with it rises. Another unit shows the scenario from outside.",
			v.Unit, s.HomeAs, v.Unit))
	}
	for _, m := range s.Moves {
		if m.Asset == portfolio.JurisdictionHome && e.homeCur == "" {
			e.note("No home country is set (settings.home_country): the move of the home currency applies to nothing.")
		}
	}
	return e, nil
}

// converter converts into the unit; one serves every scenario of a run.
func (e *env) converter() *portfolio.Converter {
	if e.prep.conv == nil {
		e.prep.conv = portfolio.NewConverter(e.p, e.v.Unit)
	}
	return e.prep.conv
}

func (e *env) note(s string) {
	if !e.noted[s] {
		e.noted[s] = true
		e.notes = append(e.notes, s)
	}
}

// histGrowth is asset a's USD level at the window's end over its level
// at the start; false when the history lacks either month.
func (e *env) histGrowth(a history.Asset) (float64, bool) {
	lv, err := e.d.Level(a)
	if err != nil {
		return 0, false
	}
	x0, ok0 := lv.At(e.from)
	x1, ok1 := lv.At(e.to)
	if !ok0 || !ok1 || x0 <= 0 {
		return 0, false
	}
	return x1 / x0, true
}

// shock is the hypothetical move of what key (or, failing that, class)
// names: an asset move first, then the home currency's, then the class's.
func (e *env) shock(key string, home bool, class string) decimal.Decimal {
	for _, m := range e.s.Moves {
		if m.Asset != "" && m.Asset == key {
			return m.Change
		}
	}
	if home {
		for _, m := range e.s.Moves {
			if m.Asset == portfolio.JurisdictionHome {
				return m.Change
			}
		}
	}
	if class != "" {
		for _, m := range e.s.Moves {
			if m.Class == class {
				return m.Change
			}
		}
	}
	return decimal.Zero
}

// profileOf says what decides h's move.
func (e *env) profileOf(h *portfolio.Holding) profile {
	var pr profile
	switch h.Kind {
	case portfolio.KindBTC:
		pr = profile{hist: history.BTC, key: "BTC", class: "bitcoin"}
	case portfolio.KindGold, portfolio.KindETF:
		pr = profile{hist: history.Gold, key: "XAU", class: "gold"}
	case portfolio.KindCash:
		pr = e.cashProfile(h.Currency)
	default:
		ex, err := e.mapping.Exposure(h)
		pr = profile{key: h.Ticker, class: "other"}
		if err == nil {
			pr.hist, pr.key = ex.Asset, string(ex.Asset)
		}
	}
	return pr
}

// cashProfile is the profile of cash in currency cur.
func (e *env) cashProfile(cur string) profile {
	pr := profile{key: cur, class: "cash", home: e.homeCur != "" && cur == e.homeCur}
	ex, err := e.mapping.Exposure(&portfolio.Holding{Kind: portfolio.KindCash, Currency: cur})
	if err == nil {
		pr.hist = ex.Asset
	}
	if pr.home && e.s.HomeAs != "" {
		pr.hist = history.Asset(e.s.HomeAs)
	}
	return pr
}

// growthOf is the factor a holding of profile pr is multiplied by, in
// the unit: (history growth × (1 + shock)) / (the unit's).
func (e *env) growthOf(pr profile) *growthOf {
	if g, ok := e.growth[pr]; ok {
		return g
	}
	out := &growthOf{asset: pr.hist}
	out.shock = e.shock(pr.key, pr.home, pr.class)
	num := one.Add(out.shock)
	if e.replay {
		g, ok := 0.0, false
		if pr.hist != "" {
			g, ok = e.histGrowth(pr.hist)
		}
		if ok {
			out.hist = decimal.NewFromFloat(g).Sub(one)
			num = num.Mul(decimal.NewFromFloat(g))
		} else {
			// No data over the window: the holding keeps its day-0
			// value in the unit, and the unit's own history is left out.
			out.missing = true
			num = num.Mul(decimal.NewFromFloat(e.unitHist))
			if pr.hist != history.BTC || e.s.Missing == "" {
				// A scenario's own statement on bitcoin is among its
				// parameters already.
				e.note(e.missingNote(pr))
			}
		}
	}
	out.g = num.DivRound(e.unitDen, growthPrecision)
	out.f = factorOf(out.g)
	out.down = out.g.LessThan(one)
	out.unit = out.g.Equal(one)
	e.growth[pr] = out
	e.order = append(e.order, pr)
	return out
}

func (e *env) missingNote(pr profile) string {
	what := pr.key
	if pr.hist == history.BTC {
		what = "Bitcoin"
	}
	if pr.hist == "" {
		return fmt.Sprintf("No bundled history for %s: it keeps its day-0 value in %s; no price is invented.", what, e.v.Unit)
	}
	from, to, err := e.d.Coverage(pr.hist)
	cover := ""
	if err == nil {
		cover = fmt.Sprintf(" (its bundled history runs %s to %s)", from, to)
	}
	return fmt.Sprintf("No bundled history for %s over %s to %s%s: it keeps its day-0 value in %s; no price is invented.", what, e.s.From, e.s.To, cover, e.v.Unit)
}

// holdingGrowth is h's growth factor and the asset it follows.
func (e *env) holdingGrowth(i int) (string, *growthOf) {
	id := e.prep.prof[i]
	pr := e.prep.profiles[id]
	if pr.home && e.s.HomeAs != "" {
		pr.hist = history.Asset(e.s.HomeAs)
	}
	if e.byProfile == nil {
		e.byProfile = make([]*growthOf, len(e.prep.profiles))
	}
	g := e.byProfile[id]
	if g == nil {
		g = e.growthOf(pr)
		e.byProfile[id] = g
	}
	follows := pr.key
	if e.replay && pr.hist != "" && !g.missing {
		follows = string(pr.hist)
	}
	return follows, g
}

// low walks the replay window month by month: the day-0 value of each
// profile's holdings (weights, by prep profile) times its asset's level
// over the first month's, over the unit's; a missing asset keeps its
// value in the unit. It returns the lowest month, the first one (a
// multiple of 1) when none is lower.
func (e *env) low(weights []float64, before decimal.Decimal, scale int32) *Low {
	type leg struct {
		w   float64
		lv  *history.Series
		at0 float64
	}
	var legs []leg
	flat, total := 0.0, 0.0
	for id, w := range weights {
		if w == 0 {
			continue
		}
		total += w
		g := e.byProfile[id]
		lv, err := e.d.Level(g.asset)
		if g.missing || g.asset == "" || err != nil {
			flat += w
			continue
		}
		x0, _ := lv.At(e.from)
		legs = append(legs, leg{w: w, lv: lv, at0: x0})
	}
	if total <= 0 {
		return nil
	}
	// The unit's level, when it has one over the window (else it is
	// taken to keep its value against the dollar).
	var unit *history.Series
	u0 := 1.0
	if e.unitAsset != "" {
		if lv, err := e.d.Level(e.unitAsset); err == nil {
			unit = lv
			u0, _ = lv.At(e.from)
		}
	}
	out := &Low{Multiple: 1, Month: e.from}
	for m := e.from + 1; m <= e.to; m++ {
		u := 1.0
		if unit != nil {
			x, _ := unit.At(m)
			u = x / u0
		}
		v := flat
		for _, l := range legs {
			x, _ := l.lv.At(m)
			v += l.w * x / l.at0 / u
		}
		if mult := v / total; mult < out.Multiple {
			out.Multiple, out.Month = mult, m
		}
	}
	out.Value = before.Mul(decimal.NewFromFloat(out.Multiple)).Round(scale)
	return out
}

// assetMoves lists the moves of the profiles met, one per asset.
func (e *env) assetMoves() []AssetMove {
	var out []AssetMove
	seen := map[string]bool{}
	for _, pr := range e.order {
		g := e.growth[pr]
		name := pr.key
		if e.replay && pr.hist != "" && !g.missing {
			name = string(pr.hist)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, AssetMove{Asset: name, Missing: g.missing, History: g.hist, Shock: g.shock, InUnit: g.g.Sub(one)})
	}
	return out
}

// matches reports whether ev hits h: h's kind is one of ev.Assets, and one
// of h's parties (its custodian and, for an ETF, the trust that issues
// it) meets every party criterion at once. It returns that party.
func (e *env) matches(ev *portfolio.CustodyEvent, h *portfolio.Holding) (bool, *portfolio.Custodian) {
	if len(ev.Assets) > 0 && !contains(ev.Assets, h.Kind) {
		return false, nil
	}
	c := e.custodians[h.Custodian]
	var issuer *portfolio.Custodian
	if h.Kind == portfolio.KindETF && h.Issuer != "" {
		issuer = e.custodians[h.Issuer]
	}
	if len(ev.CustodyKinds)+len(ev.Custodians)+len(ev.Jurisdictions) == 0 {
		return true, c
	}
	for _, c := range [2]*portfolio.Custodian{c, issuer} {
		if c == nil {
			continue
		}
		if len(ev.CustodyKinds) > 0 && !contains(ev.CustodyKinds, c.Kind) {
			continue
		}
		if len(ev.Custodians) > 0 && !contains(ev.Custodians, c.ID) {
			continue
		}
		if len(ev.Jurisdictions) > 0 && !e.inJurisdiction(ev.Jurisdictions, c.Jurisdiction) {
			continue
		}
		return true, c
	}
	return false, nil
}

func (e *env) inJurisdiction(js []string, country string) bool {
	for _, j := range js {
		switch j {
		case portfolio.JurisdictionHome:
			if e.home != "" && country == e.home {
				return true
			}
		case portfolio.JurisdictionForeign:
			if e.home != "" && country != e.home {
				return true
			}
		default:
			if country == j {
				return true
			}
		}
	}
	return false
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// apply runs one custody event over the holdings.
func (e *env) apply(ev *portfolio.CustodyEvent, r *Result, lineOf []int, states map[int]*state) error {
	if e.home == "" && (contains(ev.Jurisdictions, portfolio.JurisdictionHome) || contains(ev.Jurisdictions, portfolio.JurisdictionForeign)) {
		r.Notes = appendOnce(r.Notes, "No home country is set (settings.home_country): the custody events aimed at your home country or abroad hit nothing.")
	}
	st := func(i int) *state {
		s := states[i]
		if s == nil {
			s = newState(r.Holdings[i].MarketAfter)
			states[i] = s
		}
		return s
	}
	hit := func(i int) (*portfolio.Holding, *portfolio.Custodian, bool) {
		h := &e.p.Holdings[lineOf[i]]
		ok, c := e.matches(ev, h)
		return h, c, ok
	}
	switch ev.Kind {
	case portfolio.EventFreeze:
		day, words := ev.Days, "frozen for "+days(ev.Days)
		if ev.Indefinite {
			day, words = never, "frozen indefinitely"
		}
		for i := range r.Holdings {
			if _, _, ok := hit(i); ok {
				s := st(i)
				s.freeze(day)
				s.words = appendOnce(s.words, words)
			}
		}
	case portfolio.EventLoss:
		words := pct(ev.Share) + " lost"
		if ev.Recovery.IsPositive() {
			words += fmt.Sprintf(", %s of it recovered after %s", pct(ev.Recovery), days(ev.RecoveryDays))
		}
		for i := range r.Holdings {
			if _, _, ok := hit(i); ok {
				s := st(i)
				s.lose(ev.Share, ev.Recovery, ev.RecoveryDays)
				s.words = appendOnce(s.words, words)
			}
		}
	case portfolio.EventBailIn:
		e.bailIn(ev, r, hit, st)
	case portfolio.EventConfiscation:
		return e.confiscate(ev, r, hit, st)
	default:
		return fmt.Errorf("scenario %q: unknown custody event %q", e.s.ID, ev.Kind)
	}
	return nil
}

func appendOnce(xs []string, s string) []string {
	if contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

// bailIn cuts each bank's deposits above its insurance cap: the cut is
// Share × max(0, deposits − cap), taken from the bank's deposits in
// proportion to their day-0 values.
func (e *env) bailIn(ev *portfolio.CustodyEvent, r *Result, hit func(int) (*portfolio.Holding, *portfolio.Custodian, bool), st func(int) *state) {
	type bank struct {
		c        *portfolio.Custodian
		total    decimal.Decimal
		holdings []int
	}
	var banks []*bank
	byID := map[string]*bank{}
	for i := range r.Holdings {
		h, c, ok := hit(i)
		if !ok || h.Kind != portfolio.KindCash || c == nil || c.Kind != portfolio.CustodyBank {
			continue
		}
		b := byID[c.ID]
		if b == nil {
			b = &bank{c: c}
			byID[c.ID] = b
			banks = append(banks, b)
		}
		b.total = b.total.Add(r.Holdings[i].Before)
		b.holdings = append(b.holdings, i)
	}
	for _, b := range banks {
		capInUnit, insured := decimal.Zero, false
		switch {
		case b.c.InsuranceCap.IsZero():
			r.Notes = appendOnce(r.Notes, fmt.Sprintf("%s has no deposit-insurance cap recorded: all its deposits are treated as uninsured.", b.c.Name))
		default:
			v, ok := e.converter().Value(b.c.InsuranceCurrency, b.c.InsuranceCap)
			if !ok {
				r.Notes = appendOnce(r.Notes, fmt.Sprintf("%s's insurance cap is in %s, which the price book cannot convert into %s: all its deposits are treated as uninsured.", b.c.Name, b.c.InsuranceCurrency, e.v.Unit))
			} else {
				capInUnit, insured = v, true
			}
		}
		over := b.total.Sub(capInUnit)
		cut := decimal.Zero
		if over.IsPositive() && b.total.IsPositive() {
			cut = ev.Share.Mul(over).DivRound(b.total, growthPrecision)
		}
		for _, i := range b.holdings {
			s := st(i)
			var words string
			switch {
			case cut.IsPositive() && insured:
				words = fmt.Sprintf("bail-in: %s of the %s above the %s %s insurance cap cut (%s of this deposit)",
					pct(ev.Share), e.v.Unit.Format(over), portfolio.FormatDecimal(b.c.InsuranceCap, 0), b.c.InsuranceCurrency, pct(cut.Round(6)))
				s.lose(cut, decimal.Zero, 0)
			case cut.IsPositive():
				words = fmt.Sprintf("bail-in: %s cut, no insurance cap counted", pct(cut.Round(6)))
				s.lose(cut, decimal.Zero, 0)
			default:
				words = "bail-in: within the insurance cap, nothing cut"
			}
			if ev.Days > 0 {
				s.freeze(ev.Days)
				words += ", frozen for " + days(ev.Days)
			}
			s.words = appendOnce(s.words, words)
		}
	}
}

// confiscate replaces each holding hit by a payment: Price per unit of
// what it holds (fine ounces, BTC, units) in PriceCurrency, or its day-0
// value, paid in the payment currency after Days days.
func (e *env) confiscate(ev *portfolio.CustodyEvent, r *Result, hit func(int) (*portfolio.Holding, *portfolio.Custodian, bool), st func(int) *state) error {
	cur := ev.PriceCurrency
	if cur == "" {
		cur = e.homeCur
	}
	if cur == "" {
		cur = string(e.v.Unit)
		if portfolio.CheckCurrency(cur) != nil {
			cur = "USD"
		}
	}
	payG := e.growthOf(e.cashProfile(cur))
	scale := e.v.Unit.Scale()
	for i := range r.Holdings {
		h, _, ok := hit(i)
		if !ok {
			continue
		}
		hr := &r.Holdings[i]
		day0, words := hr.Before, fmt.Sprintf("confiscated: bought back at its day-0 value in %s", cur)
		if ev.Price.IsPositive() {
			qty, per := quantity(h, e.v)
			v, ok := e.converter().Value(ev.PriceCurrency, qty.Mul(ev.Price))
			if !ok {
				return fmt.Errorf("scenario %q: the price book cannot convert %s into %s for the buy-back price", e.s.ID, ev.PriceCurrency, e.v.Unit)
			}
			day0 = v
			words = fmt.Sprintf("confiscated: bought back at %s %s per %s", ev.Price, ev.PriceCurrency, per)
		}
		if ev.Days > 0 {
			words += ", paid after " + days(ev.Days)
		}
		s := st(i)
		s.base = day0.Mul(payG.g).Round(scale)
		if !s.base.Coefficient().IsInt64() {
			e.bigValues = true
		}
		s.freeze(ev.Days)
		s.words = appendOnce(s.words, words)
	}
	return nil
}

// quantity is what a buy-back price is per: fine ounces of gold, BTC, or
// units.
func quantity(h *portfolio.Holding, v *portfolio.Valuation) (decimal.Decimal, string) {
	switch h.Kind {
	case portfolio.KindGold, portfolio.KindETF:
		return h.FineOunces(v.AsOf), "fine ounce"
	case portfolio.KindBTC:
		return h.BTC(), "BTC"
	case portfolio.KindCash:
		return h.Amount, strings.ToUpper(h.Currency)
	}
	return h.Units, "unit"
}
