// Package stress is the Stress screen: every scenario of the library
// (built-in and the portfolio file's) applied to the snapshot, in one
// table of the value at the end and the value you can reach at day 0, 7,
// 30 and 365, and the selected scenario in detail: where its figures come
// from, its parameters, the worst-hit holdings and every holding's part,
// as `hardfolio stress` reports them. A form adds and edits scenarios of
// your own.
//
// The scenarios run in a command whenever the snapshot changes (a few
// milliseconds); the screen lays the results out in Update and scrolls
// over them.
package stress

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	pstress "codeberg.org/hardfolio/hardfolio/portfolio/stress"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Title is the screen's tab label, and the owner of its messages.
const Title = "Stress"

// Model is the Stress screen.
type Model struct {
	*common.Context

	run     common.SnapRun[outcome]
	results []*pstress.Result // of run.Of
	failed  []string          // scenarios that could not run, and why
	err     error
	sel     int    // the selected scenario
	selID   string // its ID, kept across runs

	form *form

	width, height int
	pager         common.Pager
	paint         common.Paints
	tableTop      int // the line of the first scenario row
}

// New returns the Stress screen.
func New(ctx *common.Context) *Model {
	return &Model{Context: ctx, paint: common.NewPaints(ctx.Styles)}
}

// outcome is what one run of the scenarios on a snapshot gives.
type outcome struct {
	results []*pstress.Result
	failed  []string
	err     error
}

// Init does nothing: the root calls Load when the screen is shown.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return Title }

// Capturing is true while the form is open.
func (m *Model) Capturing() bool { return m.form != nil }

// SetSize lays the screen out again.
func (m *Model) SetSize(width, height int) {
	m.width, m.height, m.pager.Height = width, height, height
	if m.form != nil {
		m.form.setSize(width, height)
	}
	m.layout()
}

// Refresh lays the screen out for a new snapshot; the old figures stay
// until the new ones arrive.
func (m *Model) Refresh() { m.layout() }

// Load runs the library on the snapshot unless that is done or under way.
func (m *Model) Load() tea.Cmd {
	return m.run.Start(Title, m.Snap, func(snap *common.Snapshot) outcome {
		d, err := history.Load()
		if err != nil {
			return outcome{err: err}
		}
		// One scenario that cannot run (a window of the file's outside
		// the history) does not hide the others: it is listed apart.
		var o outcome
		var failed []pstress.Failure
		o.results, failed = pstress.RunEach(snap.Valuation, pstress.Library(snap.Portfolio), d)
		for _, f := range failed {
			o.failed = append(o.failed, f.Err.Error())
		}
		return o
	})
}

// Results are the results on screen, or nil before the first arrive.
func (m *Model) Results() []*pstress.Result { return m.results }

// Selected is the selected scenario's result, or nil.
func (m *Model) Selected() *pstress.Result {
	if m.sel < 0 || m.sel >= len(m.results) {
		return nil
	}
	return m.results[m.sel]
}

// Update takes results, saves, the scenario keys and scrolling.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapDone[outcome]:
		if !m.run.Take(msg) {
			return m, nil // a newer snapshot is being run
		}
		m.results, m.failed, m.err = msg.Result.results, msg.Result.failed, msg.Result.err
		m.sel = 0
		for i, r := range m.results {
			if r.Scenario.ID == m.selID {
				m.sel = i
			}
		}
		m.layout()
		return m, nil
	case common.SavedMsg:
		if m.form != nil && m.form.pending == msg.ID {
			if msg.Err != nil {
				m.form.pending = 0
				m.form.general = msg.Err.Error()
				return m, nil
			}
			m.selID = m.form.saving
			m.form = nil
			m.layout()
		}
		return m, nil
	case tea.KeyMsg:
		if m.form != nil {
			return m, m.formKey(msg)
		}
		km := m.Keys
		switch {
		case key.Matches(msg, km.NextScenario):
			m.choose(m.sel + 1)
			return m, nil
		case key.Matches(msg, km.PrevScenario):
			m.choose(m.sel - 1)
			return m, nil
		case key.Matches(msg, km.AddScenario):
			return m, m.openForm(nil, false)
		case key.Matches(msg, km.EditScenario):
			if r := m.Selected(); r != nil {
				return m, m.openForm(&r.Scenario, !pstress.IsBuiltin(r.Scenario.ID))
			}
			return m, nil
		case key.Matches(msg, km.DeleteScenario):
			return m, m.delete()
		}
	default:
		if m.form != nil {
			return m, m.form.update(msg)
		}
	}
	m.pager.Update(m.Keys, msg)
	return m, nil
}

// choose selects scenario i and keeps its row in view.
func (m *Model) choose(i int) {
	if len(m.results) == 0 {
		return
	}
	m.sel = max(0, min(len(m.results)-1, i))
	m.selID = m.results[m.sel].Scenario.ID
	m.layout()
	row := m.tableTop + m.sel
	if off := m.pager.Offset(); row < off || row >= off+m.pager.Height {
		m.pager.Scroll(row - off - m.pager.Height/3)
	}
}

// delete removes the selected scenario if it is the owner's own.
func (m *Model) delete() tea.Cmd {
	r := m.Selected()
	if r == nil {
		return nil
	}
	if pstress.IsBuiltin(r.Scenario.ID) {
		return common.Status(common.Warn, "Built-in scenarios cannot be deleted: only your own")
	}
	if why := m.EditBlocked(); why != "" {
		return common.Status(common.Warn, why)
	}
	next := m.Portfolio().Clone()
	for i, s := range next.Scenarios {
		if s.ID == r.Scenario.ID {
			next.Scenarios = append(next.Scenarios[:i], next.Scenarios[i+1:]...)
			break
		}
	}
	return common.RequestSave(m.NextID(), next, "Deleted scenario "+r.Scenario.ID)
}

// View returns the window laid out by the last Update.
func (m *Model) View() string {
	if m.form != nil {
		return m.form.view()
	}
	return m.pager.View()
}

// ShortHelp lists the scenario keys.
func (m *Model) ShortHelp() []key.Binding {
	km := m.Keys
	if m.form != nil {
		return []key.Binding{km.NextField, km.Submit, km.Cancel}
	}
	return []key.Binding{km.NextScenario, km.PrevScenario, km.AddScenario, km.EditScenario}
}

// FullHelp lists the scenario keys and scrolling.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.Keys.Stress(), m.Keys.Navigation()}
}

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Scenarios", "Scrolling"} }

// layout builds every line for the current size and results.
func (m *Model) layout() {
	if m.width <= 0 || m.Snap == nil {
		m.pager.SetLines(nil)
		return
	}
	w := m.width - 2
	var lines []string
	title := m.paint.Title.Render("Stress tests")
	switch {
	case m.err != nil:
		lines = append(lines, title, "", m.paint.Error.Render("Not run: "+m.err.Error()))
	case m.results == nil:
		lines = append(lines, title, "", m.paint.Muted.Render("Running the scenarios…"))
	case m.Snap.Valuation.Total.Sign() <= 0:
		lines = append(lines, title, "", m.paint.Muted.Render("Nothing with a value to stress yet: add holdings on the Holdings screen."))
	default:
		u := m.run.Of.Unit
		info := "in " + string(u)
		if m.run.Of != m.Snap {
			info = "updating… · " + info
		}
		lines = append(lines, title+common.PadLeft(m.paint.Muted.Render(info), max(1, w-common.Width(title))))
		lines = append(lines, m.paint.Muted.Render("Owned at the end, and what you can reach n days in, at after-scenario prices"), "")
		lines = append(lines, m.table(u)...)
		for _, f := range m.failed {
			lines = append(lines, common.Wrap(f, w, "  not run: ")...)
		}
		lines = append(lines, m.detail(m.Selected(), w)...)
	}
	for i, l := range lines {
		lines[i] = " " + common.Truncate(l, w)
	}
	m.pager.SetLines(lines)
}

func fmtValue(u portfolio.Unit, d decimal.Decimal) string {
	return portfolio.FormatDecimal(d, u.Scale())
}

func signed(d decimal.Decimal) string {
	s := d.Mul(decimal.NewFromInt(100)).StringFixed(1) + "%"
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

// table is one row per scenario, the selected one marked. When the
// screen is too narrow for every checkpoint in money it shows day 0 and
// day 365 only, and narrower still, changes in percent only.
func (m *Model) table(u portfolio.Unit) []string {
	build := func(days []int, money bool) *common.Table {
		head := []string{"", "scenario", "after (" + u.Symbol() + ")", "change"}
		if !money {
			head = []string{"", "scenario", "after"}
		}
		for _, k := range days {
			head = append(head, fmt.Sprintf("day %d", pstress.Checkpoints[k]))
		}
		t := common.NewTable([]int{1}, head...)
		for i, r := range m.results {
			mark := " "
			if i == m.sel {
				mark = "›"
			}
			name := r.Scenario.Name
			if !pstress.IsBuiltin(r.Scenario.ID) {
				name += " (yours)"
			}
			change := signed(pstress.Share(r.Change(), r.Before))
			row := []string{mark, name, fmtValue(u, r.After), change}
			if !money {
				row = []string{mark, name, change}
			}
			for _, k := range days {
				if money {
					row = append(row, fmtValue(u, r.Accessible[k]))
				} else {
					row = append(row, signed(pstress.Share(r.Accessible[k].Sub(r.Before), r.Before)))
				}
			}
			t.Add(row...)
		}
		return t
	}
	body := func(i int, s string) string {
		if i == m.sel {
			return m.paint.Strong.Render(s)
		}
		return m.paint.Normal.Render(s)
	}
	out := build([]int{0, 1, 2, 3}, true).Lines(m.paint.Header.Render, body)
	if common.Width(out[0]) > m.width-2 {
		out = build([]int{0, 3}, true).Lines(m.paint.Header.Render, body)
	}
	if common.Width(out[0]) > m.width-2 {
		out = build([]int{0, 3}, false).Lines(m.paint.Header.Render, body)
	}
	m.tableTop = 4 // title, note, blank line, header
	return out
}

// maxHoldings is how many holdings the breakdown lists: those hit first.
const maxHoldings = 25

func (m *Model) detail(r *pstress.Result, w int) []string {
	if r == nil {
		return nil
	}
	s := &r.Scenario
	u := r.Unit
	kind := pstress.Kind(s)
	if !pstress.IsBuiltin(s.ID) {
		kind += ", yours"
	}
	out := []string{"", m.paint.Strong.Render(s.Name) + m.paint.Muted.Render("  "+s.ID+" · "+kind)}
	add := func(text, prefix string, paint func(string) string) {
		for _, l := range common.Wrap(text, w, prefix) {
			out = append(out, paint(l))
		}
	}
	if s.Description != "" {
		add(s.Description, "  ", m.paint.Normal.Render)
	}
	if s.Source != "" {
		add(s.Source, "  Source: ", m.paint.Muted.Render)
	}
	for _, p := range pstress.Parameters(s) {
		add(p, "  • ", m.paint.Normal.Render)
	}
	for _, n := range r.Notes {
		add(n, "  Note: ", m.paint.Warn.Render)
	}

	out = append(out, "")
	t := common.NewTable(nil, "", "value ("+u.Symbol()+")", "change")
	row := func(label string, x decimal.Decimal) {
		t.Add(label, fmtValue(u, x), signed(pstress.Share(x.Sub(r.Before), r.Before)))
	}
	t.Add("before", fmtValue(u, r.Before), "")
	if r.Low != nil {
		row("lowest on the way ("+r.Low.Month.String()+")", r.Low.Value)
	}
	row("after market moves", r.MarketAfter)
	row("owned at the end", r.After)
	for k, day := range pstress.Checkpoints {
		row(fmt.Sprintf("accessible at day %d", day), r.Accessible[k])
	}
	out = append(out, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)

	if len(r.Worst) > 0 {
		out = append(out, "", m.paint.Strong.Render("Worst hit")+m.paint.Muted.Render("  lost or out of reach at day 365"))
		for _, i := range r.Worst {
			h := &r.Holdings[i]
			add(fmt.Sprintf("%s: %s (%s)", h.Label, u.Format(h.Hit().Neg()), signed(pstress.Share(h.Hit().Neg(), h.Before))), "  • ", m.paint.Warn.Render)
		}
	}

	// Holdings a custody event hit first, then the others, in portfolio
	// order.
	var order []int
	for i := range r.Holdings {
		if len(r.Holdings[i].Events) > 0 {
			order = append(order, i)
		}
	}
	for i := range r.Holdings {
		if len(r.Holdings[i].Events) == 0 {
			order = append(order, i)
		}
	}
	out = append(out, "")
	ht := common.NewTable([]int{1}, "holding", "follows", "before", "after", "day 0", "day 7", "day 30", "day 365")
	for _, i := range order[:min(len(order), maxHoldings)] {
		h := &r.Holdings[i]
		row := []string{h.Label, h.Follows, fmtValue(u, h.Before), fmtValue(u, h.After)}
		for _, a := range h.Accessible {
			row = append(row, fmtValue(u, a))
		}
		ht.Add(row...)
	}
	out = append(out, ht.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
	if n := len(order) - maxHoldings; n > 0 {
		out = append(out, m.paint.Muted.Render(fmt.Sprintf("  and %d more holdings (hardfolio stress --scenario %s lists all)", n, s.ID)))
	}
	for _, i := range order[:min(len(order), maxHoldings)] {
		h := &r.Holdings[i]
		if len(h.Events) > 0 {
			add(strings.Join(h.Events, "; "), "  "+h.Label+": ", m.paint.Muted.Render)
		}
	}
	for _, e := range r.Excluded {
		add(e.Holding+": "+e.Reason, "  left out: ", m.paint.Muted.Render)
	}
	return out
}
