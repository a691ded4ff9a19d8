package analysis

import (
	"fmt"
	"strings"

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
type limitsForm struct{ *common.Fields }

func newLimitsForm(p *portfolio.Portfolio, st *styles.Styles) *limitsForm {
	return &limitsForm{common.NewFields(len(portfolio.Limits), st, func(i int, in *textinput.Model) {
		l := portfolio.Limits[i]
		in.CharLimit = 8
		in.Width = 8
		in.Placeholder = percent(analysis.DefaultLimits[l])
		if v, ok := p.Analysis.Limits[l]; ok {
			in.SetValue(percent(v))
		}
	})}
}

// percent writes a share as a percentage without trailing zeros.
func percent(share decimal.Decimal) string { return share.Mul(hundred).String() }

// limits reads the fields: the limits set, or false with the fields'
// errors filled in.
func (f *limitsForm) limits() (map[portfolio.Limit]decimal.Decimal, bool) {
	out := map[portfolio.Limit]decimal.Decimal{}
	ok := true
	for i, l := range portfolio.Limits {
		f.Errs[i] = ""
		s := strings.TrimSuffix(strings.TrimSpace(f.Inputs[i].Value()), "%")
		if s == "" {
			continue
		}
		v, err := decimal.NewFromString(s)
		switch {
		case err != nil:
			f.Errs[i] = fmt.Sprintf("%q is not a number", s)
		case v.IsNegative() || v.GreaterThan(hundred):
			f.Errs[i] = "want 0 to 100 (percent)"
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
	cmd := m.limits.Handle(m.Keys, msg, func() { m.limits = nil }, m.saveLimits)
	m.layout()
	return cmd
}

// saveLimits asks the root to save the portfolio with the form's limits.
func (m *Model) saveLimits() tea.Cmd {
	f := m.limits
	f.SaveErr = ""
	limits, ok := f.limits()
	if !ok {
		return nil
	}
	next := m.Portfolio().Clone()
	next.Analysis.Limits = limits
	return f.Save(m.Context, next, "Changed the warning limits")
}

// limitsSaved takes the reply to the form's save.
func (m *Model) limitsSaved(msg common.SavedMsg) {
	if m.limits != nil && m.limits.Saved(msg) {
		m.limits = nil
	}
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
		line := f.Row(m.paint, i, labelW, limitLabels[l]) + " %"
		if f.Errs[i] != "" {
			line += "  " + m.paint.Error.Render(f.Errs[i])
		}
		out = append(out, line)
	}
	out = append(out, "")
	return append(out, f.Footer(m.paint, w)...)
}
