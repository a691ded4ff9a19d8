// Package rebalance is the Rebalance screen: the targets and their band
// (editable, with the message saying by how much they miss 100%), the
// drift of each target, the plan that restores them, the plan or a typed
// what-if beside today's portfolio, and the policy backtest, as
// `hardfolio rebalance`, `whatif` and `backtest` report them.
//
// The plan, the comparison and the backtest run in a command whenever
// the snapshot or the what-if changes; applying saves through the root,
// which keeps the undo history.
package rebalance

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
	"codeberg.org/hardfolio/hardfolio/portfolio/stress"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Title is the screen's tab label, and the owner of its messages.
const Title = "Rebalance"

// Editing says which line the screen is taking text for.
type Editing int

// What the screen can be editing.
const (
	NotEditing Editing = iota
	EditingTargets
	EditingWhatIf
	EditingName // the name to save the what-if under
)

// Model is the Rebalance screen.
type Model struct {
	*common.Context

	gen   int
	asked request // what was last sent to Compute
	res   *Result

	trades   string // the what-if typed, "" for the plan
	saved    string // the saved what-if on screen, "" for none
	editing  Editing
	input    textinput.Model
	inputMsg string // what is wrong with the input, as typed
	saveID   int
	costs    *costsForm // the costs and constraints form, when open
	toBand   bool       // plan only back to the band's edge

	width int
	pager common.Pager
	paint common.Paints
}

// Result is what the screen computed for one snapshot and what-if.
type Result struct {
	Plan     *rebalance.Plan
	PlanErr  error
	Compare  *rebalance.Comparison
	WhatErr  error
	Back     *rebalance.Backtest
	BackErr  error
	Trades   string
	Saved    string
	ToBand   bool
	snapshot *common.Snapshot
}

// request is what a Result is computed from.
type request struct {
	snap          *common.Snapshot
	trades, saved string
	toBand        bool
}

// request is what the screen shows now, so what its Result must be of.
func (m *Model) request() request { return request{m.Snap, m.trades, m.saved, m.toBand} }

// request is what r was computed from.
func (r *Result) request() request { return request{r.snapshot, r.Trades, r.Saved, r.ToBand} }

type resultMsg struct {
	gen int
	res *Result
}

func (resultMsg) Owner() string { return Title }

// New returns the Rebalance screen.
func New(ctx *common.Context) *Model {
	st := ctx.Styles
	ti := textinput.New()
	ti.CharLimit = 400
	common.StyleInput(&ti, st)
	ti.PromptStyle = st.Text.Title
	return &Model{Context: ctx, input: ti, paint: common.NewPaints(st)}
}

// Init does nothing: the root calls Load when the screen is shown.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return Title }

// Capturing reports whether a line is being typed.
func (m *Model) Capturing() bool { return m.editing != NotEditing || m.costs != nil }

// SetSize lays the screen out again.
func (m *Model) SetSize(width, height int) {
	m.width, m.pager.Height = width, height
	m.layout()
}

// Refresh lays the screen out for a new snapshot.
func (m *Model) Refresh() { m.layout() }

// Result is what is on screen, or nil before the first arrives.
func (m *Model) Result() *Result { return m.res }

// Editing is the line being typed.
func (m *Model) Editing() Editing { return m.editing }

// InputMessage is what is wrong with the line being typed, or "".
func (m *Model) InputMessage() string { return m.inputMsg }

// Load computes the plan, the comparison and the backtest for the
// snapshot and what-if on screen unless that is done or under way.
func (m *Model) Load() tea.Cmd {
	q := m.request()
	if q.snap == nil || q == m.asked {
		return nil
	}
	m.asked = q
	m.gen++
	gen := m.gen
	return func() tea.Msg { return resultMsg{gen: gen, res: Compute(q.snap, q.trades, q.saved, q.toBand)} }
}

// ToBand reports whether the plan goes only back to the band's edge.
func (m *Model) ToBand() bool { return m.toBand }

// Compute plans the snapshot's portfolio (out-of-band targets only back
// to their band's edge with toBand), tries the what-if (the saved one
// named saved, else the trades typed, else the plan) and backtests the
// policies.
func Compute(snap *common.Snapshot, trades, saved string, toBand bool) *Result {
	p := snap.Portfolio
	r := &Result{Trades: trades, Saved: saved, ToBand: toBand, snapshot: snap}
	d, herr := history.Load()
	r.Plan, r.PlanErr = rebalance.NewPlan(p, rebalance.Options{Unit: snap.Unit, Now: snap.AsOf, ToBand: toBand})
	var w *rebalance.WhatIf
	switch {
	case saved != "":
		if sw := p.Rebalance.WhatIf(saved); sw == nil {
			r.WhatErr = fmt.Errorf("no saved what-if named %q", saved)
		} else {
			w, r.WhatErr = rebalance.Load(p, *sw, snap.Unit, snap.AsOf)
		}
	case trades != "":
		w, r.WhatErr = rebalance.NewWhatIf(p, trades, snap.Unit, snap.AsOf)
	case r.Plan != nil && len(r.Plan.Trades) > 0:
		w = r.Plan.WhatIf(p)
	}
	if w != nil {
		r.Compare = rebalance.Compare(w, d)
	}
	if herr != nil {
		r.BackErr = herr
		return r
	}
	r.Back, r.BackErr = rebalance.NewBacktest(snap.Valuation, d, rebalance.BacktestOptions{})
	return r
}

// Update takes results and keys.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.Keys
	switch msg := msg.(type) {
	case resultMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.res = msg.res
		m.layout()
		return m, nil
	case common.SavedMsg:
		m.costsSaved(msg)
		m.layout()
		return m, nil
	case tea.KeyMsg:
		if m.costs != nil {
			return m, m.costsKey(msg)
		}
		if m.editing != NotEditing {
			return m, m.editKey(msg)
		}
		switch {
		case key.Matches(msg, km.RebalCosts):
			return m, m.openCosts()
		case key.Matches(msg, km.RebalToBand):
			m.toBand = !m.toBand
			m.layout()
			how := "Planning fully back to the targets"
			if m.toBand {
				how = "Planning out-of-band targets back to their band's edge"
			}
			return m, tea.Batch(m.Load(), common.Status(common.Info, how))
		case key.Matches(msg, km.RebalTargets):
			if why := m.EditBlocked(); why != "" {
				return m, common.Status(common.Warn, why)
			}
			s := &m.Portfolio().Rebalance
			m.startEditing(EditingTargets, "Targets: ", rebalance.FormatTargets(s.Targets, s.Band), "Bitcoin=30 Gold=45 Cash=25 band=5/25")
			return m, nil
		case key.Matches(msg, km.RebalWhatIf):
			m.startEditing(EditingWhatIf, "What if: ", m.trades, "move 5% from GLD to BTC; sell the vault bar")
			return m, nil
		case key.Matches(msg, km.RebalOpen):
			return m, m.openNext()
		case key.Matches(msg, km.RebalDelete):
			return m, m.deleteSaved()
		case key.Matches(msg, km.RebalDiscard):
			if m.trades == "" && m.saved == "" {
				return m, nil
			}
			m.trades, m.saved = "", ""
			m.layout()
			return m, tea.Batch(m.Load(), common.Status(common.Info, "What-if discarded"))
		case key.Matches(msg, km.RebalApply):
			return m, m.apply()
		case key.Matches(msg, km.RebalSave):
			if why := m.EditBlocked(); why != "" {
				return m, common.Status(common.Warn, why)
			}
			if m.current() == nil {
				return m, common.Status(common.Info, "Nothing to save yet")
			}
			m.startEditing(EditingName, "Save the what-if as: ", "", "a name, such as more bitcoin")
			return m, nil
		}
		m.pager.Update(km, msg)
	default:
		m.pager.Update(km, msg)
	}
	return m, nil
}

func (m *Model) startEditing(e Editing, prompt, value, placeholder string) {
	m.editing = e
	m.input.Prompt, m.input.Placeholder = prompt, placeholder
	m.input.SetValue(value)
	m.input.CursorEnd()
	m.input.Width = max(20, m.width-len(prompt)-4)
	m.input.Focus()
	m.check()
	m.layout()
}

// check says what is wrong with the line as typed.
func (m *Model) check() {
	m.inputMsg = ""
	switch m.editing {
	case EditingTargets:
		if _, _, err := rebalance.ParseTargetLine(m.input.Value()); err != nil {
			m.inputMsg = err.Error()
		}
	case EditingName:
		name := strings.TrimSpace(m.input.Value())
		if name != "" && m.Portfolio().Rebalance.WhatIf(name) != nil {
			m.inputMsg = fmt.Sprintf("a what-if named %q exists already", name)
		}
	}
}

// current is the what-if on screen, when it is of the snapshot and
// what-if shown.
func (m *Model) current() *rebalance.WhatIf {
	r := m.res
	if r == nil || r.Compare == nil || r.request() != m.request() {
		return nil
	}
	return r.Compare.WhatIf
}

// openNext shows the next saved what-if, after the last the plan again.
func (m *Model) openNext() tea.Cmd {
	ws := m.Portfolio().Rebalance.WhatIfs
	if len(ws) == 0 {
		return common.Status(common.Info, "No saved what-ifs: "+m.Keys.RebalSave.Help().Key+" saves the one on screen")
	}
	next := 0
	for i, w := range ws {
		if strings.EqualFold(w.Name, m.saved) {
			next = i + 1
		}
	}
	m.trades = ""
	if next < len(ws) {
		m.saved = ws[next].Name
	} else {
		m.saved = ""
	}
	m.layout()
	return m.Load()
}

// deleteSaved asks the root to save the portfolio without the saved
// what-if on screen (undo brings it back).
func (m *Model) deleteSaved() tea.Cmd {
	if m.saved == "" {
		return common.Status(common.Info, "No saved what-if on screen: "+m.Keys.RebalOpen.Help().Key+" opens one")
	}
	if why := m.EditBlocked(); why != "" {
		return common.Status(common.Warn, why)
	}
	q := m.Portfolio().Clone()
	kept := q.Rebalance.WhatIfs[:0]
	for _, w := range q.Rebalance.WhatIfs {
		if !strings.EqualFold(w.Name, m.saved) {
			kept = append(kept, w)
		}
	}
	q.Rebalance.WhatIfs = kept
	name := m.saved
	m.saved = ""
	m.saveID = m.NextID()
	return common.RequestSave(m.saveID, q, fmt.Sprintf("Deleted the saved what-if %q", name))
}

// save asks the root to save the portfolio with the what-if on screen
// kept under name.
func (m *Model) save(name string) tea.Cmd {
	w := m.current()
	switch {
	case name == "":
		m.inputMsg = "give the what-if a name"
	case m.Portfolio().Rebalance.WhatIf(name) != nil:
		m.inputMsg = fmt.Sprintf("a what-if named %q exists already", name)
	case w == nil:
		m.inputMsg = "nothing to save: the what-if is being worked out"
	}
	if m.inputMsg != "" {
		m.layout()
		return nil
	}
	q := m.Portfolio().Clone()
	q.Rebalance.WhatIfs = append(q.Rebalance.WhatIfs, w.Saved(name))
	m.editing = NotEditing
	m.input.Blur()
	m.layout()
	m.saveID = m.NextID()
	return common.RequestSave(m.saveID, q, fmt.Sprintf("Saved the what-if %q", name))
}

func (m *Model) editKey(msg tea.KeyMsg) tea.Cmd {
	km := m.Keys
	switch {
	case key.Matches(msg, km.Cancel):
		m.editing, m.inputMsg = NotEditing, ""
		m.input.Blur()
		m.layout()
		return nil
	case key.Matches(msg, km.Accept):
		text := strings.TrimSpace(m.input.Value())
		if m.editing == EditingName {
			return m.save(text)
		}
		if m.editing == EditingWhatIf {
			m.editing = NotEditing
			m.input.Blur()
			m.trades, m.saved = text, ""
			m.layout()
			return m.Load()
		}
		ts, band, err := rebalance.ParseTargetLine(text)
		if err != nil {
			m.inputMsg = err.Error()
			m.layout()
			return nil
		}
		q := m.Portfolio().Clone()
		q.Rebalance.Targets, q.Rebalance.Band = ts, band
		m.editing, m.inputMsg = NotEditing, ""
		m.input.Blur()
		m.layout()
		m.saveID = m.NextID()
		return common.RequestSave(m.saveID, q, "Set the rebalancing targets")
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.check()
	m.layout()
	return cmd
}

// apply asks the root to save the what-if's portfolio (the plan's when
// none is typed).
func (m *Model) apply() tea.Cmd {
	if why := m.EditBlocked(); why != "" {
		return common.Status(common.Warn, why)
	}
	w := m.current()
	if w == nil {
		return common.Status(common.Info, "Nothing to apply yet")
	}
	r := m.res
	q := w.After.Clone()
	q.Rebalance.WhatIfs = append([]portfolio.WhatIf(nil), m.Portfolio().Rebalance.WhatIfs...)
	desc := "Applied the rebalancing plan"
	if r.ToBand {
		desc += " (to the band's edge)"
	}
	switch {
	case r.Saved != "":
		desc = fmt.Sprintf("Applied the saved what-if %q", r.Saved)
	case r.Trades != "":
		desc = "Applied what-if: " + r.Trades
	}
	m.trades, m.saved = "", ""
	m.saveID = m.NextID()
	return common.RequestSave(m.saveID, q, desc)
}

// View returns the window laid out by the last Update.
func (m *Model) View() string { return m.pager.View() }

// ShortHelp lists the main keys.
func (m *Model) ShortHelp() []key.Binding {
	km := m.Keys
	if m.costs != nil {
		return []key.Binding{km.NextField, km.Submit, km.Cancel}
	}
	if m.editing != NotEditing {
		return []key.Binding{km.Accept, km.Cancel}
	}
	b := []key.Binding{km.RebalTargets, km.RebalCosts, km.RebalWhatIf}
	if m.trades != "" || m.saved != "" {
		b = append(b, km.RebalDiscard)
	}
	return append(b, km.RebalSave, km.RebalApply)
}

// FullHelp lists the screen's keys and scrolling.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.Keys.Rebalance(), m.Keys.Navigation()}
}

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Rebalance", "Scrolling"} }

// ---- layout ---------------------------------------------------------------

// costsSummary is the costs and constraints in one line: "fee 8 sat/vB ×
// 141 vB · commission 1 USD · gold +4% / -1.5% · FX 0.25% · min trade
// 250 EUR · never sell btc-ledger".
func costsSummary(s *portfolio.RebalanceSettings) string {
	c := s.Costs
	or := func(v, none string) string {
		if v == "" {
			return none
		}
		return v
	}
	pc := func(d decimal.Decimal) string { return d.Shift(2).String() + "%" }
	parts := []string{
		fmt.Sprintf("fee %s sat/vB × %d vB", c.FeeRate, c.VBytes()),
		"commission " + or(strings.TrimSpace(c.Commission.String()+" "+c.CommissionCurrency), "none"),
		"gold +" + pc(c.GoldPremium) + " / -" + pc(c.GoldSpread),
		"FX " + pc(c.FXSpread),
	}
	if s.MinTrade.Sign() > 0 {
		parts = append(parts, "min trade "+s.MinTrade.String()+" "+s.MinTradeCurrency)
	}
	if len(s.NeverSell) > 0 {
		parts = append(parts, "never sell "+strings.Join(s.NeverSell, ", "))
	}
	return strings.Join(parts, " · ")
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

func (m *Model) layout() {
	if m.width <= 0 || m.Snap == nil {
		m.pager.SetLines(nil)
		return
	}
	w := m.width - 2
	if m.costs != nil {
		lines := m.costsLines(w)
		for i, l := range lines {
			lines[i] = " " + common.Truncate(l, w)
		}
		m.pager.SetLines(lines)
		return
	}
	p := m.Portfolio()
	s := &p.Rebalance
	title := m.paint.Title.Render("Rebalance")
	info := "in " + string(m.Unit())
	if m.res != nil && m.res.request() != m.request() {
		info = "updating… · " + info
	}
	lines := []string{title + common.PadLeft(m.paint.Muted.Render(info), max(1, w-common.Width(title)))}

	// Targets.
	lines = append(lines, "")
	if len(s.Targets) == 0 {
		lines = append(lines, m.paint.Normal.Render("No targets set: press "+m.Keys.RebalTargets.Help().Key+" to set them (Bitcoin=30 Gold=45 Cash=25 band=5/25)."))
	} else {
		var parts []string
		for _, t := range s.Targets {
			parts = append(parts, t.Key+" "+t.Weight.Shift(2).String()+"%")
		}
		lines = append(lines, m.paint.Strong.Render("Targets ")+m.paint.Normal.Render(strings.Join(parts, " · ")+"   band "+s.Band.String()))
	}
	lines = append(lines, m.paint.Strong.Render("Costs ")+m.paint.Normal.Render(costsSummary(s))+m.paint.Muted.Render("   "+m.Keys.RebalCosts.Help().Key+" edits"))
	if len(s.WhatIfs) > 0 {
		var names []string
		for _, x := range s.WhatIfs {
			names = append(names, x.Name)
		}
		lines = append(lines, m.paint.Muted.Render("Saved what-ifs: "+strings.Join(names, ", ")))
	}
	if m.editing != NotEditing {
		lines = append(lines, "", m.input.View())
		switch {
		case m.inputMsg != "":
			for _, l := range common.Wrap(m.inputMsg, w, "  ") {
				lines = append(lines, m.paint.Warn.Render(l))
			}
		case m.editing == EditingTargets:
			lines = append(lines, m.paint.Good.Render("  adds up to 100%: enter saves"))
		default:
			for _, l := range common.Wrap(rebalance.TradeHelp, w, "  ") {
				lines = append(lines, m.paint.Muted.Render(l))
			}
		}
	}

	r := m.res
	switch {
	case r == nil:
		lines = append(lines, "", m.paint.Muted.Render("Planning…"))
	default:
		lines = append(lines, m.planLines(r, w)...)
		lines = append(lines, m.whatIfLines(r, w)...)
		lines = append(lines, m.backtestLines(r, w)...)
	}
	for i, l := range lines {
		lines[i] = " " + common.Truncate(l, w)
	}
	m.pager.SetLines(lines)
}

func (m *Model) planLines(r *Result, w int) []string {
	pl := r.Plan
	if pl == nil {
		out := []string{""}
		for _, l := range common.Wrap(r.PlanErr.Error(), w, "") {
			out = append(out, m.paint.Warn.Render(l))
		}
		return out
	}
	u := pl.Unit
	out := []string{"", m.paint.Strong.Render("Drift") + m.paint.Muted.Render(fmt.Sprintf("  net worth %s, trades settle in %s", u.Format(pl.Total), pl.Settlement))}
	t := common.NewTable([]int{5}, "target", "now", "target", "drift", "band", "status", "after")
	for _, g := range pl.Groups {
		t.Add(g.Target.Key, common.Percent(g.Weight), common.Percent(g.Target.Weight), rebalance.Points(g.Drift), "±"+g.Width.Shift(2).StringFixed(2)+" pp", g.Status(), common.Percent(g.WeightAfter))
	}
	out = append(out, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
	how := "fully back to the targets"
	if r.ToBand {
		how = "out-of-band targets back to their band's edge"
	}
	out = append(out, "", m.paint.Strong.Render("Plan")+m.paint.Muted.Render("  "+how+" · "+m.Keys.RebalToBand.Help().Key+" switches"))
	if pl.InBands {
		return append(out, m.paint.Good.Render("  Every target is within its band: nothing to trade."))
	}
	if len(pl.Trades) == 0 {
		out = append(out, m.paint.Muted.Render("  No trade is worth making."))
	} else {
		out = append(out, m.tradeLines(pl.Trades, r.snapshot.Portfolio, u)...)
		out = append(out, m.paint.Normal.Render(fmt.Sprintf("  Total cost %s · realised gains FIFO %s, HIFO %s", u.Format(pl.Cost), u.Format(pl.GainFIFO), u.Format(pl.GainHIFO))))
		out = append(out, m.gainLines(pl.Trades, u)...)
	}
	for _, n := range pl.Notes {
		for _, l := range common.Wrap(n, w, "  Note: ") {
			out = append(out, m.paint.Muted.Render(l))
		}
	}
	return out
}

func (m *Model) tradeLines(trades []rebalance.Trade, p *portfolio.Portfolio, u portfolio.Unit) []string {
	t := common.NewTable([]int{1, 2, 5}, "", "holding", "amount", "value", "cost", "how")
	for _, tr := range trades {
		h := &p.Holdings[p.HoldingIndex(tr.Holding)]
		t.Add(tr.Side(), tr.Holding, tr.Amount(h), portfolio.FormatDecimal(tr.Value, u.Scale()), portfolio.FormatDecimal(tr.Cost, u.Scale()), tr.How())
	}
	return t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))
}

// gainLines lists each sale's realised gain under FIFO and HIFO, with
// the quantity sold beyond the recorded lots.
func (m *Model) gainLines(trades []rebalance.Trade, u portfolio.Unit) []string {
	t := common.NewTable(nil, "sale", "lots FIFO", "gain FIFO", "lots HIFO", "gain HIFO", "no lot recorded")
	n := 0
	for _, tr := range trades {
		g := tr.Gains
		if g == nil {
			continue
		}
		n++
		noBasis := "-"
		if g.FIFO.NoBasis.Sign() > 0 {
			noBasis = g.FIFO.NoBasis.String()
		}
		t.Add(tr.Holding, fmt.Sprint(len(g.FIFO.Sales)), u.Format(g.FIFO.Gain), fmt.Sprint(len(g.HIFO.Sales)), u.Format(g.HIFO.Gain), noBasis)
	}
	if n == 0 {
		return nil
	}
	return append([]string{""}, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
}

func (m *Model) whatIfLines(r *Result, w int) []string {
	km := m.Keys
	head := "What-if: the plan"
	switch {
	case r.Saved != "":
		head = fmt.Sprintf("What-if %q (saved)", r.Saved)
	case r.Trades != "":
		head = "What-if: " + r.Trades
	}
	keysHint := fmt.Sprintf("  %s types trades · %s saves · %s applies", km.RebalWhatIf.Help().Key, km.RebalSave.Help().Key, km.RebalApply.Help().Key)
	if r.Trades != "" || r.Saved != "" {
		keysHint += fmt.Sprintf(" · %s discards", km.RebalDiscard.Help().Key)
	}
	if len(m.Portfolio().Rebalance.WhatIfs) > 0 {
		keysHint += fmt.Sprintf(" · %s opens a saved one", km.RebalOpen.Help().Key)
	}
	out := []string{"", m.paint.Strong.Render(head) + m.paint.Muted.Render(keysHint)}
	if r.WhatErr != nil {
		for _, l := range common.Wrap(r.WhatErr.Error(), w, "  ") {
			out = append(out, m.paint.Warn.Render(l))
		}
		return out
	}
	c := r.Compare
	if c == nil {
		return append(out, m.paint.Muted.Render("  No trades to compare."))
	}
	wi := c.WhatIf
	u := wi.Unit
	if r.Trades != "" || r.Saved != "" {
		out = append(out, m.tradeLines(wi.Trades, wi.Before, u)...)
	}
	b, a := c.Before, c.After
	t := common.NewTable(nil, "", "before", "after")
	t.Add("Net worth", u.Format(b.Valuation.Total), u.Format(a.Valuation.Total))
	for _, tw := range c.Targets {
		t.Add(tw.Target.Key+" (target "+tw.Target.Weight.Shift(2).String()+"%)", common.Percent(tw.Before), common.Percent(tw.After))
	}
	for i, cb := range b.Concentration {
		if d := cb.Dimension; d == portfolio.ByClass || d == portfolio.ByCustodian || d == portfolio.ByJurisdiction {
			t.Add("Effective number, "+strings.ToLower(d.String()), fmt.Sprintf("%.2f", cb.Effective), fmt.Sprintf("%.2f", a.Concentration[i].Effective))
		}
	}
	largest := func(r2 int, fs []string) string {
		if r2 < 0 {
			return "-"
		}
		return fs[r2]
	}
	var fb, fa []string
	for _, f := range b.Failures {
		fb = append(fb, common.Percent(f.Share)+" "+f.Label)
	}
	for _, f := range a.Failures {
		fa = append(fa, common.Percent(f.Share)+" "+f.Label)
	}
	t.Add("Largest point of failure", largest(b.Largest, fb), largest(a.Largest, fa))
	t.Add("Warnings", fmt.Sprint(len(b.Warnings)), fmt.Sprint(len(a.Warnings)))
	if b.Risk != nil && a.Risk != nil {
		t.Add("Volatility a year", pct(b.Risk.Volatility), pct(a.Risk.Volatility))
		t.Add("Compound return a year", pct(b.Risk.AnnualReturn), pct(a.Risk.AnnualReturn))
		t.Add("Max drawdown", pct(b.Risk.MaxDrawdown.Depth), pct(a.Risk.MaxDrawdown.Depth))
	}
	out = append(out, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
	if b.Risk != nil {
		for _, l := range common.Wrap("Risk "+b.Risk.Window()+", rebalanced monthly.", w, "  ") {
			out = append(out, m.paint.Muted.Render(l))
		}
	}
	return append(out, m.stressLines(c, w)...)
}

// stressLines is every stress scenario on both sides: the change in what
// is owned once it has run its course, and what is reachable at day 30,
// as shares of each side's net worth.
func (m *Model) stressLines(c *rebalance.Comparison, w int) []string {
	out := []string{"", m.paint.Strong.Render("Stress tests") + m.paint.Muted.Render("  change in what you own · reachable at day 30")}
	if c.StressErr != nil {
		return append(out, m.paint.Muted.Render("  Not run: "+c.StressErr.Error()))
	}
	signed := func(d decimal.Decimal) string {
		s := common.Percent(d)
		if !strings.HasPrefix(s, "-") {
			s = "+" + s
		}
		return s
	}
	t := common.NewTable(nil, "scenario", "change before", "change after", "day 30 before", "day 30 after")
	for _, r := range c.Stress {
		bf, af := r.Before, r.After
		t.Add(r.Scenario.Name, signed(stress.Share(bf.Change(), bf.Before)), signed(stress.Share(af.Change(), af.Before)),
			common.Percent(stress.Share(bf.Accessible[2], bf.Before)), common.Percent(stress.Share(af.Accessible[2], af.Before)))
	}
	return append(out, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
}

func (m *Model) backtestLines(r *Result, w int) []string {
	out := []string{"", m.paint.Strong.Render("Policy backtest")}
	bt := r.Back
	if bt == nil {
		if r.BackErr != nil {
			out = append(out, m.paint.Muted.Render("  Not run: "+r.BackErr.Error()))
		}
		return out
	}
	what := "today's weights"
	if bt.FromTargets {
		what = "the targets"
	}
	for _, l := range common.Wrap(fmt.Sprintf("%s replayed %s to %s (%d months) in %s, costs from the portfolio", what, bt.From, bt.To, bt.Months, bt.Unit.Name()), w, "  ") {
		out = append(out, m.paint.Muted.Render(l))
	}
	t := common.NewTable(nil, "policy", "CAGR", "volatility", "max drawdown", "trades", "cost")
	for _, p := range bt.Results {
		t.Add(p.Policy.Name, pct(p.CAGR), pct(p.Volatility), pct(p.MaxDrawdown), fmt.Sprint(p.Trades), bt.ValuationUnit.Format(bt.Money(p.Cost)))
	}
	return append(out, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
}
