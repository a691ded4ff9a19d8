// Package rebalance brings a portfolio back to its targets: it measures
// the drift of every target against its band, plans the trades that
// restore the targets under the owner's constraints (never sell this, buy
// only with new cash), in natural units (sats, pieces, shares, currency),
// with their costs per venue and the gains each sale realises lot by lot
// under FIFO and HIFO. A what-if applies a plan or hand-written trades to
// a copy of the portfolio and compares it with the original under the
// same analysis; Backtest replays rebalancing policies over the bundled
// history.
//
// Money is decimal throughout the plan and the what-if; the backtest's
// statistics are float64. docs/analytics.md ("Rebalancing") states every
// rule and formula.
package rebalance

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// ErrNoTargets is the error of a plan for a portfolio that sets no
// targets.
var ErrNoTargets = errors.New("no rebalancing targets set: set them with `hardfolio rebalance targets` or in the [rebalance] section of the portfolio file")

// UnpricedError is a holding a plan or a what-if must trade, or weigh,
// that has no price in the valuation unit.
type UnpricedError struct {
	Holding string
	Label   string
	Unit    portfolio.Unit
}

func (e *UnpricedError) Error() string {
	return fmt.Sprintf("holding %q (%s) has no price in %s: set one with `hardfolio prices set` first", e.Holding, e.Label, e.Unit)
}

// UnmatchedError lists holdings with a value that no target covers.
type UnmatchedError struct {
	Holdings []string
	Keys     []string // what a target could name to cover them
}

func (e *UnmatchedError) Error() string {
	return fmt.Sprintf("no target covers %s: add a target for %s, or give it a weight of 0", strings.Join(e.Holdings, ", "), strings.Join(e.Keys, " or "))
}

// keys are the target keys that can cover a holding, most specific first:
// its ticker (ETFs and other assets), its asset, its class.
func keys(h *portfolio.Holding) (assets []string, class string) {
	switch h.Kind {
	case portfolio.KindBTC:
		assets = []string{string(portfolio.UnitBTC)}
	case portfolio.KindGold:
		assets = []string{string(portfolio.UnitXAU)}
	case portfolio.KindETF:
		assets = []string{strings.ToUpper(h.Ticker), string(portfolio.UnitXAU)}
	case portfolio.KindCash:
		assets = []string{h.Currency}
	case portfolio.KindOther:
		assets = []string{strings.ToUpper(h.Ticker)}
	}
	return assets, h.Kind.Class()
}

// Matches reports whether the reference ref (a class name, an asset key, a
// ticker or a holding ID, any case) names holding h.
func Matches(ref string, h *portfolio.Holding) bool {
	assets, class := keys(h)
	if strings.EqualFold(ref, h.ID) || strings.EqualFold(ref, class) {
		return true
	}
	for _, a := range assets {
		if strings.EqualFold(ref, a) {
			return true
		}
	}
	return false
}

// assign maps every holding to the index of the target covering it (-1
// for none): an asset target on its ticker first, then on its asset, then
// a class target.
func assign(p *portfolio.Portfolio, targets []portfolio.Target) []int {
	byAsset := map[string]int{}
	byClass := map[string]int{}
	for i, t := range targets {
		if t.By == portfolio.ByAssetTarget {
			byAsset[t.Key] = i
		} else {
			byClass[t.Key] = i
		}
	}
	out := make([]int, len(p.Holdings))
	for i := range p.Holdings {
		h := &p.Holdings[i]
		out[i] = -1
		assets, class := keys(h)
		for _, a := range assets {
			if j, ok := byAsset[a]; ok {
				out[i] = j
				break
			}
		}
		if out[i] < 0 {
			if j, ok := byClass[class]; ok {
				out[i] = j
			}
		}
	}
	return out
}

// unmatched builds the error for holdings with a value and no target.
func unmatched(p *portfolio.Portfolio, v *portfolio.Valuation, of []int) error {
	var ids []string
	seen := map[string]bool{}
	var ks []string
	for i, t := range of {
		if t >= 0 || (v.Lines[i].Value.Sign() <= 0 && !v.Lines[i].Unpriced) {
			continue
		}
		h := &p.Holdings[i]
		ids = append(ids, h.ID)
		assets, class := keys(h)
		for _, k := range append([]string{"class " + class}, prefixed("asset ", assets)...) {
			if !seen[k] {
				seen[k] = true
				ks = append(ks, k)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sort.Strings(ids)
	return &UnmatchedError{Holdings: ids, Keys: ks}
}

func prefixed(p string, s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = p + x
	}
	return out
}

// bandOf is the band of target t under settings s.
func bandOf(s *portfolio.RebalanceSettings, t portfolio.Target) portfolio.Band {
	if t.Band != nil {
		return *t.Band
	}
	return s.Band
}

// share is a/b to 12 places, zero when b is not positive.
func share(a, b decimal.Decimal) decimal.Decimal {
	if b.Sign() <= 0 {
		return decimal.Zero
	}
	return a.DivRound(b, 12)
}
