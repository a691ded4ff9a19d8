package portfolio

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Edits return a new portfolio and leave the receiver untouched, so callers
// can keep the old value for undo and never hold a half-applied change.

// WithHolding returns a copy of p with h added, or replacing the holding
// with the same ID when replace is true. The result is validated as a whole.
func (p *Portfolio) WithHolding(h Holding, replace bool) (*Portfolio, error) {
	q := p.Clone()
	i := q.HoldingIndex(h.ID)
	switch {
	case i >= 0 && !replace:
		return nil, &FieldError{Section: "holding", Index: i, Parent: -1, ID: h.ID, Key: "id", Msg: "a holding with this ID exists already"}
	case i < 0 && replace:
		return nil, fmt.Errorf("no holding with ID %q", h.ID)
	case i >= 0:
		q.Holdings[i] = h
	default:
		q.Holdings = append(q.Holdings, h)
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

// ErrNoSuchID is wrapped by the errors of edits that name an entry the
// portfolio does not have.
var ErrNoSuchID = errors.New("no such ID")

func noSuchID(kind, id string) error {
	return fmt.Errorf("no %s with ID %q: %w", kind, id, ErrNoSuchID)
}

// WithoutHolding returns a copy of p without the holding id.
func (p *Portfolio) WithoutHolding(id string) (*Portfolio, error) {
	i := p.HoldingIndex(id)
	if i < 0 {
		return nil, noSuchID("holding", id)
	}
	q := p.Clone()
	q.Holdings = append(q.Holdings[:i], q.Holdings[i+1:]...)
	return q, nil
}

// WithoutCustodian returns a copy of p without the custodian id. A
// custodian that a holding still names, as custodian or as ETF issuer, is
// refused, with the holdings named.
func (p *Portfolio) WithoutCustodian(id string) (*Portfolio, error) {
	if p.Custodian(id) == nil {
		return nil, noSuchID("custodian", id)
	}
	var users []string
	for _, h := range p.Holdings {
		if h.Custodian == id || h.Issuer == id {
			users = append(users, h.ID)
		}
	}
	if len(users) > 0 {
		return nil, fmt.Errorf("custodian %q still holds or issues %s: move them to another custodian or remove them first", id, strings.Join(users, ", "))
	}
	q := p.Clone()
	for i := range q.Custodians {
		if q.Custodians[i].ID == id {
			q.Custodians = append(q.Custodians[:i], q.Custodians[i+1:]...)
			break
		}
	}
	return q, nil
}

// WithCustodian returns a copy of p with c added or replaced (by ID).
func (p *Portfolio) WithCustodian(c Custodian) (*Portfolio, error) {
	q := p.Clone()
	if old := q.Custodian(c.ID); old != nil {
		*old = c
	} else {
		q.Custodians = append(q.Custodians, c)
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

// WithPrices returns a copy of p with the given prices and FX rates merged
// in: an entry replaces the book's entry for the same asset (or currency
// pair) unless the book's is newer. The result is validated.
func (p *Portfolio) WithPrices(prices []Price, fx []FXRate) (*Portfolio, error) {
	q := p.Clone()
	for _, pr := range prices {
		pr.Asset = strings.ToUpper(pr.Asset)
		found := false
		for i := range q.Prices {
			if q.Prices[i].Asset == pr.Asset {
				found = true
				if !pr.Time.Before(q.Prices[i].Time) {
					q.Prices[i] = pr
				}
			}
		}
		if !found {
			q.Prices = append(q.Prices, pr)
		}
	}
	for _, r := range fx {
		found := false
		for i := range q.FX {
			old := &q.FX[i]
			if (old.Base == r.Base && old.Quote == r.Quote) || (old.Base == r.Quote && old.Quote == r.Base) {
				found = true
				if !r.Time.Before(old.Time) {
					*old = r
				}
			}
		}
		if !found {
			q.FX = append(q.FX, r)
		}
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

// NewHoldingID proposes an unused ID from a base such as "btc" or a ticker:
// "gld", then "gld-2", "gld-3"...
func (p *Portfolio) NewHoldingID(base string) string {
	base = strings.ToLower(strings.TrimSpace(base))
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	id := strings.Trim(b.String(), "-_.")
	if id == "" {
		id = "holding"
	}
	if len(id) > 56 {
		id = id[:56]
	}
	if p.HoldingIndex(id) < 0 {
		return id
	}
	for n := 2; ; n++ {
		c := fmt.Sprintf("%s-%d", id, n)
		if p.HoldingIndex(c) < 0 {
			return c
		}
	}
}

// PriceOf returns the book's price entry for an asset (case-insensitive).
func (p *Portfolio) PriceOf(asset string) (Price, bool) {
	asset = strings.ToUpper(asset)
	for _, pr := range p.Prices {
		if pr.Asset == asset {
			return pr, true
		}
	}
	return Price{}, false
}

// SortedPrices returns the price book entries sorted by asset.
func (p *Portfolio) SortedPrices() []Price {
	out := append([]Price(nil), p.Prices...)
	sort.Slice(out, func(i, j int) bool { return out[i].Asset < out[j].Asset })
	return out
}

// Empty returns a new portfolio with no holdings, valued in unit.
func Empty(unit Unit) *Portfolio {
	return &Portfolio{Schema: SchemaVersion, Settings: Settings{Unit: unit, StaleAfter: DefaultStaleAfter}}
}

// AsOfDate truncates t to its UTC calendar date.
func AsOfDate(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
