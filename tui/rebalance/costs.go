package rebalance

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// costsForm edits the costs per venue, the minimum trade and the
// never-sell list: one field per rebalance.Settings entry, each checked
// by the setting itself, its error beside it.
type costsForm struct{ *common.Fields }

func newCostsForm(p *portfolio.Portfolio, st *styles.Styles) *costsForm {
	return &costsForm{common.NewFields(len(rebalance.Settings), st, func(i int, in *textinput.Model) {
		s := rebalance.Settings[i]
		in.CharLimit = 200
		in.Width = 16
		in.Placeholder = s.Hint
		in.SetValue(s.Get(&p.Rebalance))
	})}
}

// apply sets every field on a copy of p: the copy, or false with the
// fields' errors filled in.
func (f *costsForm) apply(p *portfolio.Portfolio) (*portfolio.Portfolio, bool) {
	q := p.Clone()
	ok := true
	for i, s := range rebalance.Settings {
		f.Errs[i] = ""
		if err := s.Set(q, f.Inputs[i].Value()); err != nil {
			f.Errs[i], ok = err.Error(), false
		}
	}
	return q, ok
}

// EditingCosts reports whether the costs form is open.
func (m *Model) EditingCosts() bool { return m.costs != nil }

// CostsErrors are the costs form's errors by field (the setting's Name),
// for tests.
func (m *Model) CostsErrors() map[string]string {
	out := map[string]string{}
	if m.costs == nil {
		return out
	}
	for i, s := range rebalance.Settings {
		if e := m.costs.Errs[i]; e != "" {
			out[s.Name] = e
		}
	}
	if m.costs.SaveErr != "" {
		out[""] = m.costs.SaveErr
	}
	return out
}

// openCosts opens the form, unless edits are blocked.
func (m *Model) openCosts() tea.Cmd {
	if why := m.EditBlocked(); why != "" {
		return common.Status(common.Warn, why)
	}
	m.costs = newCostsForm(m.Portfolio(), m.Styles)
	m.layout()
	return nil
}

// costsKey handles a key while the form is open.
func (m *Model) costsKey(msg tea.KeyMsg) tea.Cmd {
	cmd := m.costs.Handle(m.Keys, msg, func() { m.costs = nil }, m.saveCosts)
	m.layout()
	return cmd
}

// saveCosts asks the root to save the portfolio with the form's settings.
func (m *Model) saveCosts() tea.Cmd {
	f := m.costs
	f.SaveErr = ""
	q, ok := f.apply(m.Portfolio())
	if !ok {
		return nil
	}
	if err := q.Validate(); err != nil {
		f.SaveErr = err.Error()
		return nil
	}
	return f.Save(m.Context, q, "Changed the rebalancing costs and constraints")
}

// costsSaved takes the reply to the form's save.
func (m *Model) costsSaved(msg common.SavedMsg) {
	if m.costs != nil && m.costs.Saved(msg) {
		m.costs = nil
	}
}

// feeNote says what one bitcoin transaction costs at the rate and size
// typed, or what an empty size means.
func (f *costsForm) feeNote() string {
	q := &portfolio.Portfolio{}
	for i, s := range rebalance.Settings {
		if s.Name == "fee-rate" || s.Name == "tx-vbytes" {
			if s.Set(q, f.Inputs[i].Value()) != nil {
				return ""
			}
		}
	}
	c := q.Rebalance.Costs
	if c.FeeRate.Sign() <= 0 {
		return fmt.Sprintf("empty: %d vB, one P2WPKH input and two outputs", portfolio.DefaultTxVBytes)
	}
	return fmt.Sprintf("one transaction of %d vB: %s sats", c.VBytes(), portfolio.FormatDecimal(decimal.NewFromInt(c.OnChainFee()), 0))
}

// costsLines lays the form out.
func (m *Model) costsLines(w int) []string {
	f := m.costs
	out := []string{m.paint.Title.Render("Rebalancing costs and constraints")}
	for _, l := range common.Wrap("What a plan counts as the cost of each trade, the smallest trade it keeps, and what it never sells. Percentages are of the trade; an empty field clears a setting.", w, "") {
		out = append(out, m.paint.Muted.Render(l))
	}
	out = append(out, "")
	labelW := 0
	for _, s := range rebalance.Settings {
		labelW = max(labelW, len(s.Short))
	}
	for i, s := range rebalance.Settings {
		line := f.Row(m.paint, i, labelW, s.Short)
		if e := f.Errs[i]; e != "" {
			// Beside the field when it fits, else under it.
			if common.Width(line)+2+common.Width(e) <= w {
				line += "  " + m.paint.Error.Render(e)
			} else {
				out = append(out, line)
				for _, l := range common.Wrap(e, w-labelW-4, "") {
					line = strings.Repeat(" ", labelW+4) + m.paint.Error.Render(l)
					out = append(out, line)
				}
				continue
			}
		}
		out = append(out, line)
		if s.Name == "tx-vbytes" {
			out = append(out, m.paint.Muted.Render(fmt.Sprintf("  %-*s  %s", labelW, "", f.feeNote())))
		}
	}
	out = append(out, "")
	return append(out, f.Footer(m.paint, w)...)
}
