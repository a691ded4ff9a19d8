package analysis

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// limitLabels says in words what each limit bounds, in the order of
// portfolio.Limits.
var limitLabels = map[portfolio.Limit]string{
	portfolio.LimitAssetClass:   "One asset class, of net worth",
	portfolio.LimitCustodian:    "One third party (custodian or ETF issuer), of net worth",
	portfolio.LimitCounterparty: "All third parties together, of net worth",
	portfolio.LimitJurisdiction: "One jurisdiction, of net worth",
	portfolio.LimitHome:         "At home (home safes, hardware wallets), of net worth",
	portfolio.LimitExchange:     "On exchanges, of net worth",
	portfolio.LimitExchangeBTC:  "Bitcoin on exchanges, of your bitcoin",
	portfolio.LimitUninsured:    "Bank deposits above the insurance cap, of net worth",
	portfolio.LimitETFGold:      "Gold held as ETF shares, of your gold",
}

var hundred = decimal.NewFromInt(100)

// limitsForm edits the warning limits of [analysis.limits]: one percent
// field per rule, empty for the default.
type limitsForm struct {
	inputs  []textinput.Model
	errs    []string
	focus   int
	pending int // the save request under way, 0 if none
	saveErr string
}

func newLimitsForm(p *portfolio.Portfolio, st *styles.Styles) *limitsForm {
	f := &limitsForm{errs: make([]string, len(portfolio.Limits))}
	for i, l := range portfolio.Limits {
		in := textinput.New()
		in.Prompt = ""
		common.StyleInput(&in, st)
		in.CharLimit = 8
		in.Width = 8
		in.Placeholder = percent(analysis.DefaultLimits[l])
		if v, ok := p.Analysis.Limits[l]; ok {
			in.SetValue(percent(v))
		}
		if i == 0 {
			in.Focus()
		}
		f.inputs = append(f.inputs, in)
	}
	return f
}

// percent writes a share as a percentage without trailing zeros.
func percent(share decimal.Decimal) string { return share.Mul(hundred).String() }

// limits reads the fields: the limits set, or false with the fields'
// errors filled in.
func (f *limitsForm) limits() (map[portfolio.Limit]decimal.Decimal, bool) {
	out := map[portfolio.Limit]decimal.Decimal{}
	ok := true
	for i, l := range portfolio.Limits {
		f.errs[i] = ""
		s := strings.TrimSuffix(strings.TrimSpace(f.inputs[i].Value()), "%")
		if s == "" {
			continue
		}
		v, err := decimal.NewFromString(s)
		switch {
		case err != nil:
			f.errs[i] = fmt.Sprintf("%q is not a number", s)
		case v.IsNegative() || v.GreaterThan(hundred):
			f.errs[i] = "want 0 to 100 (percent)"
		default:
			out[l] = v.Div(hundred)
			continue
		}
		ok = false
	}
	if len(out) == 0 {
		out = nil
	}
	return out, ok
}

func (f *limitsForm) move(n int) {
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + n + len(f.inputs)) % len(f.inputs)
	f.inputs[f.focus].Focus()
}

// openLimits opens the form, unless edits are blocked.
func (m *Model) openLimits() tea.Cmd {
	if why := m.EditBlocked(); why != "" {
		return common.Status(common.Warn, why)
	}
	m.limits = newLimitsForm(m.Portfolio(), m.Styles)
	m.layout()
	return nil
}

// limitsKey handles a key while the form is open.
func (m *Model) limitsKey(msg tea.KeyMsg) tea.Cmd {
	f, km := m.limits, m.Keys
	if f.pending != 0 {
		return nil // saving: wait for the reply
	}
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, km.Cancel):
		m.limits = nil
	case key.Matches(msg, km.NextField):
		f.move(1)
	case key.Matches(msg, km.PrevField):
		f.move(-1)
	case key.Matches(msg, km.Submit), key.Matches(msg, km.Accept):
		cmd = m.saveLimits()
	default:
		f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	}
	m.layout()
	return cmd
}

// saveLimits asks the root to save the portfolio with the form's limits.
func (m *Model) saveLimits() tea.Cmd {
	f := m.limits
	f.saveErr = ""
	limits, ok := f.limits()
	if !ok {
		return nil
	}
	if why := m.EditBlocked(); why != "" {
		f.saveErr = why
		return nil
	}
	next := m.Portfolio().Clone()
	next.Analysis.Limits = limits
	f.pending = m.NextID()
	return common.RequestSave(f.pending, next, "Changed the warning limits")
}

// limitsSaved takes the reply to the form's save.
func (m *Model) limitsSaved(msg common.SavedMsg) {
	f := m.limits
	if f == nil || f.pending != msg.ID {
		return
	}
	f.pending = 0
	if msg.Err != nil {
		f.saveErr = "Not saved: " + msg.Err.Error()
		return
	}
	m.limits = nil
}

// limitsLines lays the form out.
func (m *Model) limitsLines(w int) []string {
	f := m.limits
	out := []string{m.paint.Title.Render("Warning limits")}
	for _, l := range common.Wrap("A warning is raised when a share exceeds its limit, in percent. An empty field keeps the default it shows dimmed.", w, "") {
		out = append(out, m.paint.Muted.Render(l))
	}
	out = append(out, "")
	labelW := 0
	for _, l := range portfolio.Limits {
		labelW = max(labelW, len(limitLabels[l]))
	}
	for i, l := range portfolio.Limits {
		cursor := "  "
		if i == f.focus {
			cursor = m.paint.Strong.Render("> ")
		}
		line := cursor + fmt.Sprintf("%-*s  ", labelW, limitLabels[l]) + "[" + f.inputs[i].View() + "] %"
		if f.errs[i] != "" {
			line += "  " + m.paint.Error.Render(f.errs[i])
		}
		out = append(out, line)
	}
	out = append(out, "")
	if f.saveErr != "" {
		out = append(out, m.paint.Error.Render(f.saveErr))
	}
	if f.pending != 0 {
		out = append(out, m.paint.Muted.Render("Saving…"))
	}
	return out
}
