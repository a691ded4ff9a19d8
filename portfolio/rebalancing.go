package portfolio

import (
	"fmt"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/shopspring/decimal"
)

// RebalanceSettings are the portfolio file's [rebalance] section: the
// target allocation, how far it may drift, what must never be sold, what
// trading costs, and the what-ifs saved under a name. Package
// portfolio/rebalance plans trades from them.
type RebalanceSettings struct {
	// Targets are the target weights, by asset class or by asset; when
	// any is set they add up to 1.
	Targets []Target
	// Band is the tolerance of every target that sets none.
	Band Band
	// NeverSell lists what a plan must not sell: class names (Gold),
	// asset keys (BTC, XAU, a currency, a ticker) or holding IDs.
	NeverSell []string
	// MinTrade is the smallest trade worth making, in MinTradeCurrency:
	// a plan drops smaller ones.
	MinTrade         decimal.Decimal
	MinTradeCurrency string
	Costs            Costs
	WhatIfs          []WhatIf
	// Applied records the last what-if applied to the portfolio, so that
	// it can be undone while nothing else has changed.
	Applied *AppliedWhatIf
}

// TargetBy says what a target weighs: an asset class or an asset.
type TargetBy string

// What targets weigh.
const (
	ByClassTarget TargetBy = "class" // Bitcoin, Gold, Cash, Other
	ByAssetTarget TargetBy = "asset" // BTC, XAU, a currency, a ticker
)

// Target is one target weight. Band, when set, replaces the section's.
type Target struct {
	By     TargetBy
	Key    string
	Weight decimal.Decimal // share of net worth, 0..1
	Band   *Band
}

// Band is a tolerance around a target weight: Abs is an absolute drift in
// shares of net worth (0.05 for 5 percentage points), Rel a drift relative
// to the target (0.25 for a quarter of it). With both set the narrower
// wins, which is the 5/25 rule; with neither the target has no band and
// any drift is out of it.
type Band struct {
	Abs, Rel decimal.Decimal
}

// IsZero reports whether the band sets no limit.
func (b Band) IsZero() bool { return b.Abs.IsZero() && b.Rel.IsZero() }

// Width is the drift the band allows around weight w.
func (b Band) Width(w decimal.Decimal) decimal.Decimal {
	switch {
	case b.Abs.IsZero() && b.Rel.IsZero():
		return decimal.Zero
	case b.Rel.IsZero():
		return b.Abs
	case b.Abs.IsZero():
		return b.Rel.Mul(w)
	}
	return decimal.Min(b.Abs, b.Rel.Mul(w))
}

// String writes the band: "±5 pp / ±25%", "±5 pp", "none".
func (b Band) String() string {
	var parts []string
	if !b.Abs.IsZero() {
		parts = append(parts, "±"+b.Abs.Shift(2).String()+" pp")
	}
	if !b.Rel.IsZero() {
		parts = append(parts, "±"+b.Rel.Shift(2).String()+"%")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " / ")
}

// Costs are what trading costs, by venue. Zero means free.
type Costs struct {
	// FeeRate is the on-chain fee in sat/vB of a bitcoin transaction
	// into or out of a hardware wallet or multisig, and TxVBytes its
	// typical size (DefaultTxVBytes when zero).
	FeeRate  decimal.Decimal
	TxVBytes int64
	// Commission is the broker's fee per ETF or other trade, in
	// CommissionCurrency.
	Commission         decimal.Decimal
	CommissionCurrency string
	// GoldPremium is the dealer's premium over spot paid when buying
	// physical gold, and GoldSpread what is lost below spot when selling
	// it, as shares of the trade (0.03 for 3%).
	GoldPremium, GoldSpread decimal.Decimal
	// FXSpread is the share lost converting between currencies.
	FXSpread decimal.Decimal
}

// IsZero reports whether no cost is set.
func (c Costs) IsZero() bool {
	return c.FeeRate.IsZero() && c.TxVBytes == 0 && c.Commission.IsZero() && c.CommissionCurrency == "" &&
		c.GoldPremium.IsZero() && c.GoldSpread.IsZero() && c.FXSpread.IsZero()
}

// DefaultTxVBytes is the typical size of a bitcoin transaction moving
// coins into or out of a single-signature wallet: one P2WPKH input, a
// payment and a change output, 10.5 + 68 + 2 × 31 vbytes, rounded up.
const DefaultTxVBytes = 141

// VBytes is the typical transaction size the costs assume.
func (c Costs) VBytes() int64 {
	if c.TxVBytes > 0 {
		return c.TxVBytes
	}
	return DefaultTxVBytes
}

// OnChainFee is the fee of one typical transaction, in sats, rounded up.
func (c Costs) OnChainFee() int64 {
	return c.FeeRate.Mul(decimal.NewFromInt(c.VBytes())).Ceil().IntPart()
}

// WhatIf is a set of trades saved under a name, to compare or apply later.
type WhatIf struct {
	Name    string
	Created time.Time
	Note    string // what it was made from: "plan", "move 5% from GLD to BTC"
	Trades  []WhatIfTrade
}

// WhatIfTrade changes one holding by Quantity in its natural unit (BTC,
// pieces of gold, shares or units, currency): negative sells, positive
// buys. Cost is what the trade costs, in CostCurrency, paid from the
// largest cash holding in that currency; zero when free.
type WhatIfTrade struct {
	Holding      string
	Quantity     decimal.Decimal
	Cost         decimal.Decimal
	CostCurrency string
}

// AppliedWhatIf is the last what-if applied: its name, when, and the
// digest of the portfolio it produced (without this record).
type AppliedWhatIf struct {
	Name   string
	Time   time.Time
	Digest string
}

// WhatIf returns the saved what-if with the given name, or nil.
func (r *RebalanceSettings) WhatIf(name string) *WhatIf {
	for i := range r.WhatIfs {
		if strings.EqualFold(r.WhatIfs[i].Name, name) {
			return &r.WhatIfs[i]
		}
	}
	return nil
}

func (r *RebalanceSettings) empty() bool {
	return len(r.Targets) == 0 && r.Band.IsZero() && len(r.NeverSell) == 0 && r.MinTrade.IsZero() &&
		r.MinTradeCurrency == "" && r.Costs.IsZero() && len(r.WhatIfs) == 0 && r.Applied == nil
}

func (r *RebalanceSettings) clone() RebalanceSettings {
	c := *r
	c.Targets = append([]Target(nil), r.Targets...)
	for i := range c.Targets {
		if b := c.Targets[i].Band; b != nil {
			bb := *b
			c.Targets[i].Band = &bb
		}
	}
	c.NeverSell = append([]string(nil), r.NeverSell...)
	c.WhatIfs = append([]WhatIf(nil), r.WhatIfs...)
	for i := range c.WhatIfs {
		c.WhatIfs[i].Trades = append([]WhatIfTrade(nil), c.WhatIfs[i].Trades...)
	}
	if r.Applied != nil {
		a := *r.Applied
		c.Applied = &a
	}
	return c
}

// TargetError is a problem with the targets as a whole or one of them.
type TargetError struct {
	Index int // the target's position, -1 for the set
	Key   string
	Msg   string
}

func (e *TargetError) Error() string {
	if e.Index < 0 {
		return "targets: " + e.Msg
	}
	return fmt.Sprintf("target %q: %s", e.Key, e.Msg)
}

// CheckTargets checks a set of targets against each other and their
// bands: known keys, no target twice, weights from 0 to 1 adding up to
// exactly 1, and no band wider than its target. def is the band of
// targets that set none. The first problem is returned; the sum's error
// says by how much the weights miss.
func CheckTargets(targets []Target, def Band) error {
	if len(targets) == 0 {
		return nil
	}
	seen := map[string]int{}
	sum := decimal.Zero
	one := decimal.NewFromInt(1)
	for i, t := range targets {
		fail := func(format string, a ...any) error {
			return &TargetError{Index: i, Key: t.Key, Msg: fmt.Sprintf(format, a...)}
		}
		switch t.By {
		case ByClassTarget:
			if !targetClass(t.Key) {
				return fail("unknown asset class: want Bitcoin, Gold, Cash or Other")
			}
		case ByAssetTarget:
			if strings.TrimSpace(t.Key) == "" || strings.ToUpper(t.Key) != t.Key {
				return fail("an asset is BTC, XAU, a currency code or a ticker, in capitals")
			}
		default:
			return fail("say class or asset")
		}
		k := string(t.By) + ":" + t.Key
		if j, dup := seen[k]; dup {
			return fail("set twice (targets #%d and #%d)", j+1, i+1)
		}
		seen[k] = i
		if t.Weight.IsNegative() || t.Weight.GreaterThan(one) {
			return fail("weight must be a share from 0 to 1 (0.25 for 25%%), got %s", t.Weight)
		}
		b := def
		if t.Band != nil {
			b = *t.Band
		}
		if b.Abs.IsNegative() || b.Rel.IsNegative() {
			return fail("a band cannot be negative")
		}
		if w := b.Width(t.Weight); t.Weight.Sign() > 0 && w.GreaterThan(t.Weight) {
			return fail("band %s (±%s%%) is wider than the target %s%%", b, w.Shift(2), t.Weight.Shift(2))
		}
		sum = sum.Add(t.Weight)
	}
	if !sum.Equal(one) {
		diff := one.Sub(sum)
		how := "short"
		if diff.IsNegative() {
			how, diff = "over", diff.Neg()
		}
		return &TargetError{Index: -1, Msg: fmt.Sprintf("weights add up to %s%%, not 100%%: %s%% %s", sum.Shift(2), diff.Shift(2), how)}
	}
	return nil
}

func targetClass(s string) bool {
	switch s {
	case "Bitcoin", "Gold", "Cash", "Other":
		return true
	}
	return false
}

func (r *RebalanceSettings) validate(c *checker) {
	// A negative default band is the section's error, reported once at
	// its own key; the targets are then checked without it, so that it
	// is not also blamed on the first target that sets no band.
	def := r.Band
	if r.Band.Abs.IsNegative() {
		c.add("rebalance", -1, -1, "", "band_abs", "a band cannot be negative")
		def = Band{}
	}
	if r.Band.Rel.IsNegative() {
		c.add("rebalance", -1, -1, "", "band_rel", "a band cannot be negative")
		def = Band{}
	}
	if err := CheckTargets(r.Targets, def); err != nil {
		te := err.(*TargetError)
		if te.Index < 0 {
			c.add("rebalance", -1, -1, "", "target", "%s", te.Msg)
		} else {
			c.add("rebalance.target", te.Index, -1, "", "weight", "%s", te.Error())
		}
	}
	if r.MinTrade.IsNegative() {
		c.add("rebalance", -1, -1, "", "min_trade", "must not be negative")
	}
	if !r.MinTrade.IsZero() {
		if err := CheckCurrency(r.MinTradeCurrency); err != nil {
			c.add("rebalance", -1, -1, "", "min_trade_currency", "%v", err)
		}
	}
	k := r.Costs
	for _, f := range []struct {
		key string
		v   decimal.Decimal
	}{{"fee_rate", k.FeeRate}, {"commission", k.Commission}, {"gold_premium", k.GoldPremium}, {"gold_spread", k.GoldSpread}, {"fx_spread", k.FXSpread}} {
		if f.v.IsNegative() {
			c.add("rebalance.costs", -1, -1, "", f.key, "must not be negative")
		}
	}
	for _, f := range []struct {
		key string
		v   decimal.Decimal
	}{{"gold_premium", k.GoldPremium}, {"gold_spread", k.GoldSpread}, {"fx_spread", k.FXSpread}} {
		if f.v.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			c.add("rebalance.costs", -1, -1, "", f.key, "must be a share below 1 (0.02 for 2%%), got %s", f.v)
		}
	}
	if k.TxVBytes < 0 {
		c.add("rebalance.costs", -1, -1, "", "tx_vbytes", "must not be negative")
	}
	if !k.Commission.IsZero() {
		if err := CheckCurrency(k.CommissionCurrency); err != nil {
			c.add("rebalance.costs", -1, -1, "", "commission_currency", "%v", err)
		}
	}
	names := map[string]int{}
	for i, w := range r.WhatIfs {
		if strings.TrimSpace(w.Name) == "" {
			c.add("rebalance.whatif", i, -1, "", "name", "a what-if needs a name")
		}
		if j, dup := names[strings.ToLower(w.Name)]; dup {
			c.add("rebalance.whatif", i, -1, w.Name, "name", "what-if #%d has this name too", j+1)
		}
		names[strings.ToLower(w.Name)] = i
		for _, t := range w.Trades {
			if t.Holding == "" {
				c.add("rebalance.whatif", i, -1, w.Name, "trade", "a trade names no holding")
			}
		}
	}
}

// fileRebalance is the [rebalance] section as written in the file.
type fileRebalance struct {
	BandAbs          *dec             `toml:"band_abs,omitempty"`
	BandRel          *dec             `toml:"band_rel,omitempty"`
	NeverSell        []string         `toml:"never_sell,omitempty"`
	MinTrade         *dec             `toml:"min_trade,omitempty"`
	MinTradeCurrency string           `toml:"min_trade_currency,omitempty"`
	Targets          []fileTarget     `toml:"target,omitempty"`
	Costs            *fileCosts       `toml:"costs,omitempty"`
	WhatIfs          []fileWhatIf     `toml:"whatif,omitempty"`
	Applied          *fileAppliedWhat `toml:"applied,omitempty"`
}

type fileTarget struct {
	Class   string `toml:"class,omitempty"`
	Asset   string `toml:"asset,omitempty"`
	Weight  *dec   `toml:"weight"`
	BandAbs *dec   `toml:"band_abs,omitempty"`
	BandRel *dec   `toml:"band_rel,omitempty"`
}

type fileCosts struct {
	FeeRate            *dec   `toml:"fee_rate,omitempty"`
	TxVBytes           int64  `toml:"tx_vbytes,omitempty"`
	Commission         *dec   `toml:"commission,omitempty"`
	CommissionCurrency string `toml:"commission_currency,omitempty"`
	GoldPremium        *dec   `toml:"gold_premium,omitempty"`
	GoldSpread         *dec   `toml:"gold_spread,omitempty"`
	FXSpread           *dec   `toml:"fx_spread,omitempty"`
}

type fileWhatIf struct {
	Name    string          `toml:"name"`
	Created toml.LocalDate  `toml:"created,omitempty"`
	Note    string          `toml:"note,omitempty"`
	Trades  []fileWhatTrade `toml:"trade,omitempty"`
}

type fileWhatTrade struct {
	Holding      string `toml:"holding"`
	Quantity     *dec   `toml:"quantity"`
	Cost         *dec   `toml:"cost,omitempty"`
	CostCurrency string `toml:"cost_currency,omitempty"`
}

type fileAppliedWhat struct {
	Name   string    `toml:"name"`
	Time   time.Time `toml:"time"`
	Digest string    `toml:"digest"`
}

func nonZero(d decimal.Decimal) *dec { return decPtr(d, !d.IsZero()) }

func rebalanceFromFile(f *fileRebalance) RebalanceSettings {
	if f == nil {
		return RebalanceSettings{}
	}
	r := RebalanceSettings{
		Band:      Band{Abs: decOf(f.BandAbs), Rel: decOf(f.BandRel)},
		NeverSell: f.NeverSell, MinTrade: decOf(f.MinTrade), MinTradeCurrency: f.MinTradeCurrency,
	}
	for _, t := range f.Targets {
		tg := Target{By: ByClassTarget, Key: t.Class, Weight: decOf(t.Weight)}
		switch {
		case t.Class != "" && t.Asset != "":
			tg.By = "class and asset" // refused by CheckTargets
		case t.Asset != "":
			tg.By, tg.Key = ByAssetTarget, t.Asset
		case t.Class == "":
			tg.By = ""
		}
		if t.BandAbs != nil || t.BandRel != nil {
			tg.Band = &Band{Abs: decOf(t.BandAbs), Rel: decOf(t.BandRel)}
		}
		r.Targets = append(r.Targets, tg)
	}
	if c := f.Costs; c != nil {
		r.Costs = Costs{FeeRate: decOf(c.FeeRate), TxVBytes: c.TxVBytes, Commission: decOf(c.Commission),
			CommissionCurrency: c.CommissionCurrency, GoldPremium: decOf(c.GoldPremium), GoldSpread: decOf(c.GoldSpread), FXSpread: decOf(c.FXSpread)}
	}
	for _, w := range f.WhatIfs {
		x := WhatIf{Name: w.Name, Created: dayOf(w.Created), Note: w.Note}
		for _, t := range w.Trades {
			x.Trades = append(x.Trades, WhatIfTrade{Holding: t.Holding, Quantity: decOf(t.Quantity), Cost: decOf(t.Cost), CostCurrency: t.CostCurrency})
		}
		r.WhatIfs = append(r.WhatIfs, x)
	}
	if a := f.Applied; a != nil {
		r.Applied = &AppliedWhatIf{Name: a.Name, Time: a.Time, Digest: a.Digest}
	}
	return r
}

func rebalanceToFile(r *RebalanceSettings) *fileRebalance {
	if r.empty() {
		return nil
	}
	f := &fileRebalance{BandAbs: nonZero(r.Band.Abs), BandRel: nonZero(r.Band.Rel), NeverSell: r.NeverSell,
		MinTrade: nonZero(r.MinTrade), MinTradeCurrency: r.MinTradeCurrency}
	for _, t := range r.Targets {
		ft := fileTarget{Weight: &dec{t.Weight}}
		if t.By == ByAssetTarget {
			ft.Asset = t.Key
		} else {
			ft.Class = t.Key
		}
		if t.Band != nil {
			ft.BandAbs, ft.BandRel = nonZero(t.Band.Abs), nonZero(t.Band.Rel)
		}
		f.Targets = append(f.Targets, ft)
	}
	if c := r.Costs; !c.IsZero() {
		f.Costs = &fileCosts{FeeRate: nonZero(c.FeeRate), TxVBytes: c.TxVBytes, Commission: nonZero(c.Commission),
			CommissionCurrency: c.CommissionCurrency, GoldPremium: nonZero(c.GoldPremium), GoldSpread: nonZero(c.GoldSpread), FXSpread: nonZero(c.FXSpread)}
	}
	for _, w := range r.WhatIfs {
		fw := fileWhatIf{Name: w.Name, Note: w.Note}
		if !w.Created.IsZero() {
			fw.Created = localDate(w.Created)
		}
		for _, t := range w.Trades {
			fw.Trades = append(fw.Trades, fileWhatTrade{Holding: t.Holding, Quantity: &dec{t.Quantity}, Cost: nonZero(t.Cost), CostCurrency: t.CostCurrency})
		}
		f.WhatIfs = append(f.WhatIfs, fw)
	}
	if a := r.Applied; a != nil {
		f.Applied = &fileAppliedWhat{Name: a.Name, Time: a.Time.UTC(), Digest: a.Digest}
	}
	return f
}
