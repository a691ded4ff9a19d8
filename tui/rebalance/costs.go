package rebalance

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
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
type costsForm struct {
	inputs  []textinput.Model
	errs    []string
	focus   int
	pending int // the save request under way, 0 if none
	saveErr string
}

func newCostsForm(p *portfolio.Portfolio, st *styles.Styles) *costsForm {
	f := &costsForm{errs: make([]string, len(rebalance.Settings))}
	for i, s := range rebalance.Settings {
		in := textinput.New()
		in.Prompt = ""
		common.StyleInput(&in, st)
		in.CharLimit = 200
		in.Width = 16
		in.Placeholder = s.Hint
		in.SetValue(s.Get(&p.Rebalance))
		if i == 0 {
			in.Focus()
		}
		f.inputs = append(f.inputs, in)
	}
	return f
}

// apply sets every field on a copy of p: the copy, or false with the
// fields' errors filled in.
func (f *costsForm) apply(p *portfolio.Portfolio) (*portfolio.Portfolio, bool) {
	q := p.Clone()
	ok := true
	for i, s := range rebalance.Settings {
		f.errs[i] = ""
		if err := s.Set(q, f.inputs[i].Value()); err != nil {
			f.errs[i], ok = err.Error(), false
		}
	}
	return q, ok
}

func (f *costsForm) move(n int) {
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + n + len(f.inputs)) % len(f.inputs)
	f.inputs[f.focus].Focus()
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
		if e := m.costs.errs[i]; e != "" {
			out[s.Name] = e
		}
	}
	if m.costs.saveErr != "" {
		out[""] = m.costs.saveErr
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
	f, km := m.costs, m.Keys
	if f.pending != 0 {
		return nil // saving: wait for the reply
	}
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, km.Cancel):
		m.costs = nil
	case key.Matches(msg, km.NextField):
		f.move(1)
	case key.Matches(msg, km.PrevField):
		f.move(-1)
	case key.Matches(msg, km.Submit), key.Matches(msg, km.Accept):
		cmd = m.saveCosts()
	default:
		f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
		f.errs[f.focus] = ""
	}
	m.layout()
	return cmd
}

// saveCosts asks the root to save the portfolio with the form's settings.
func (m *Model) saveCosts() tea.Cmd {
	f := m.costs
	f.saveErr = ""
	q, ok := f.apply(m.Portfolio())
	if !ok {
		return nil
	}
	if err := q.Validate(); err != nil {
		f.saveErr = err.Error()
		return nil
	}
	if why := m.EditBlocked(); why != "" {
		f.saveErr = why
		return nil
	}
	f.pending = m.NextID()
	return common.RequestSave(f.pending, q, "Changed the rebalancing costs and constraints")
}

// costsSaved takes the reply to the form's save.
func (m *Model) costsSaved(msg common.SavedMsg) {
	f := m.costs
	if f == nil || f.pending != msg.ID {
		return
	}
	f.pending = 0
	if msg.Err != nil {
		f.saveErr = "Not saved: " + msg.Err.Error()
		return
	}
	m.costs = nil
}

// feeNote says what one bitcoin transaction costs at the rate and size
// typed, or what an empty size means.
func (f *costsForm) feeNote() string {
	q := &portfolio.Portfolio{}
	for i, s := range rebalance.Settings {
		if s.Name == "fee-rate" || s.Name == "tx-vbytes" {
			if s.Set(q, f.inputs[i].Value()) != nil {
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
		cursor := "  "
		if i == f.focus {
			cursor = m.paint.Strong.Render("> ")
		}
		line := cursor + fmt.Sprintf("%-*s  ", labelW, s.Short) + "[" + f.inputs[i].View() + "]"
		if e := f.errs[i]; e != "" {
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
	if f.saveErr != "" {
		for _, l := range common.Wrap(f.saveErr, w, "") {
			out = append(out, m.paint.Error.Render(l))
		}
	}
	if f.pending != 0 {
		out = append(out, m.paint.Muted.Render("Saving…"))
	}
	return out
}
