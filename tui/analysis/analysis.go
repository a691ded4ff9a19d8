// Package analysis is the Analysis screen: the largest single point of
// failure, the warnings, concentration along every dimension, the points
// of failure, and the risk of the current weights from the bundled
// history, as `hardfolio analyze` reports them.
//
// The analysis runs in a command whenever the snapshot changes (a few
// milliseconds; the first run also parses the bundled history); the
// screen lays the result out into lines in Update and scrolls over them.
package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Title is the screen's tab label, and the owner of its messages.
const Title = "Analysis"

// Model is the Analysis screen.
type Model struct {
	*common.Context

	run    common.SnapRun[*analysis.Report]
	report *analysis.Report // of run.Of

	limits *limitsForm // the warning limits form, when open

	width int
	pager common.Pager
	paint common.Paints
}

// New returns the Analysis screen.
func New(ctx *common.Context) *Model {
	return &Model{Context: ctx, paint: common.NewPaints(ctx.Styles)}
}

// Init does nothing: the root calls Load when the screen is shown.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return Title }

// Capturing reports whether the limits form has the keyboard.
func (m *Model) Capturing() bool { return m.limits != nil }

// EditingLimits reports whether the warning limits form is open.
func (m *Model) EditingLimits() bool { return m.limits != nil }

// SetSize lays the screen out again.
func (m *Model) SetSize(width, height int) {
	m.width, m.pager.Height = width, height
	m.layout()
}

// Refresh lays the screen out for a new snapshot; the old figures stay
// until the new analysis arrives.
func (m *Model) Refresh() { m.layout() }

// Load analyses the snapshot on screen unless that is done or under way.
func (m *Model) Load() tea.Cmd {
	return m.run.Start(Title, m.Snap, func(snap *common.Snapshot) *analysis.Report {
		d, err := history.Load()
		r := analysis.Analyze(snap.Valuation, d)
		if err != nil {
			r.RiskErr = err
		}
		return r
	})
}

// Report is the analysis on screen, or nil before the first arrives.
func (m *Model) Report() *analysis.Report { return m.report }

// Update takes analyses and scrolls.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapDone[*analysis.Report]:
		if !m.run.Take(msg) {
			return m, nil // a newer snapshot is being analysed
		}
		m.report = msg.Result
		m.layout()
		return m, nil
	case common.SavedMsg:
		m.limitsSaved(msg)
		m.layout()
		return m, nil
	case tea.KeyMsg:
		if m.limits != nil {
			return m, m.limitsKey(msg)
		}
		if key.Matches(msg, m.Keys.EditLimits) {
			return m, m.openLimits()
		}
	default:
		if m.limits != nil {
			var cmd tea.Cmd
			f := m.limits
			f.Inputs[f.Focus], cmd = f.Inputs[f.Focus].Update(msg)
			m.layout()
			return m, cmd
		}
	}
	m.pager.Update(m.Keys, msg)
	return m, nil
}

// View returns the window laid out by the last Update.
func (m *Model) View() string { return m.pager.View() }

// ShortHelp lists the form's keys while it is open, otherwise the limits
// key and the scrolling keys when there is something to scroll.
func (m *Model) ShortHelp() []key.Binding {
	km := m.Keys
	if m.limits != nil {
		return []key.Binding{km.NextField, km.Submit, km.Cancel}
	}
	if !m.pager.Scrollable() {
		return []key.Binding{km.EditLimits}
	}
	return []key.Binding{km.EditLimits, km.Up, km.Down}
}

// FullHelp lists the screen's keys and scrolling.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.Keys.EditLimits}, m.Keys.Navigation()}
}

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Analysis", "Scrolling"} }

// layout builds every line for the current size and report.
func (m *Model) layout() {
	if m.width <= 0 || m.Snap == nil {
		m.pager.SetLines(nil)
		return
	}
	w := m.width - 2
	var lines []string
	r := m.report
	title := m.paint.Title.Render("Analysis")
	switch {
	case m.limits != nil:
		lines = m.limitsLines(w)
	case r == nil:
		lines = append(lines, title, "", m.paint.Muted.Render("Analysing…"))
	case r.Valuation.Total.Sign() <= 0:
		lines = append(lines, title, "", m.paint.Muted.Render("Nothing with a value to analyse yet: add holdings on the Holdings screen."))
	default:
		info := "in " + string(r.Valuation.Unit)
		if m.run.Of != m.Snap {
			info = "updating… · " + info
		}
		lines = append(lines, title+common.PadLeft(m.paint.Muted.Render(info), max(1, w-common.Width(title))))
		lines = append(lines, m.summary(r, w)...)
		lines = append(lines, m.concentration(r, w)...)
		lines = append(lines, m.failures(r, w)...)
		lines = append(lines, m.risk("Risk of the current weights", r.Risk, r.RiskErr, w)...)
		if r.WithoutBTC != nil {
			lines = append(lines, m.risk("Without bitcoin, the rest reweighted to 100%", r.WithoutBTC, nil, w)...)
		}
	}
	for i, l := range lines {
		lines[i] = " " + common.Truncate(l, w)
	}
	m.pager.SetLines(lines)
}

func (m *Model) summary(r *analysis.Report, w int) []string {
	var out []string
	if r.Largest >= 0 {
		out = append(out, "", m.paint.Strong.Render("Largest single point of failure"))
		for _, l := range common.Wrap(r.Failures[r.Largest].Text+".", w, "  ") {
			out = append(out, m.paint.Normal.Render(l))
		}
	}
	out = append(out, "", m.paint.Strong.Render(fmt.Sprintf("Warnings (%d)", len(r.Warnings))))
	if len(r.Warnings) == 0 {
		out = append(out, m.paint.Good.Render("  none: every limit is met"))
	}
	for _, wa := range r.Warnings {
		style, mark := m.paint.Warn, "  ! "
		if wa.Severity == analysis.SeverityNote {
			style, mark = m.paint.Muted, "  i "
		}
		for _, l := range common.Wrap(wa.Text+".", w, mark) {
			out = append(out, style.Render(l))
		}
	}
	return out
}

func (m *Model) concentration(r *analysis.Report, w int) []string {
	out := []string{"", m.paint.Strong.Render("Concentration") + m.paint.Muted.Render("  HHI = Σ share², effective number = 1/HHI")}
	t := common.NewTable([]int{4}, "", "groups", "HHI", "effective", "largest")
	for _, c := range r.Concentration {
		largest := "-"
		if len(c.Slices) > 0 {
			largest = c.Slices[0].Label + " " + common.Percent(c.Slices[0].Weight)
		}
		t.Add(c.Dimension.String(), fmt.Sprint(len(c.Slices)), fmt.Sprintf("%.3f", c.Herfindahl), fmt.Sprintf("%.2f", c.Effective), largest)
	}
	return append(out, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
}

func (m *Model) failures(r *analysis.Report, w int) []string {
	out := []string{"", m.paint.Strong.Render("Points of failure")}
	for _, f := range r.Failures {
		for _, l := range common.Wrap(f.Text, w, "  • ") {
			out = append(out, m.paint.Normal.Render(l))
		}
	}
	return out
}

func (m *Model) risk(title string, k *analysis.Risk, err error, w int) []string {
	out := []string{"", m.paint.Strong.Render(title)}
	if k == nil {
		return append(out, m.paint.Muted.Render(fmt.Sprintf("  Not measured: %v.", err)))
	}
	note := k.Window() + "; in " + string(k.Unit) + ", rebalanced monthly."
	if k.UnitNote != "" {
		note += " " + k.UnitNote + "."
	}
	for _, l := range common.Wrap(note, w, "  ") {
		out = append(out, m.paint.Muted.Render(l))
	}
	dr := "-"
	if !math.IsNaN(k.DiversificationRatio) {
		dr = fmt.Sprintf("%.2f", k.DiversificationRatio)
	}
	out = append(out, m.paint.Normal.Render(fmt.Sprintf("  Volatility %s a year · compound return %s a year · diversification ratio %s",
		pct(k.Volatility), pct(k.AnnualReturn), dr)))
	dd := k.MaxDrawdown
	rec := "not recovered by " + k.To.String()
	if dd.Recovered {
		rec = "back " + dd.Recovery.String()
	}
	line := fmt.Sprintf("  Max drawdown %s (%s → %s, %s)", pct(dd.Depth), dd.Peak, dd.Trough, rec)
	if k.Worst12 != nil {
		line += fmt.Sprintf(" · worst 12 months %s (%s → %s)", pct(k.Worst12.Return), k.Worst12.From, k.Worst12.To)
	}
	for _, l := range common.Wrap(strings.TrimPrefix(line, "  "), w, "  ") {
		out = append(out, m.paint.Normal.Render(l))
	}

	out = append(out, "")
	head := []string{"asset", "weight", "volatility", "risk share"}
	for _, a := range k.Assets {
		head = append(head, string(a.Asset))
	}
	t := common.NewTable(nil, head...)
	for i, a := range k.Assets {
		row := []string{a.Asset.Name(), pct(a.Weight), pct(a.Volatility), pct(a.Contribution)}
		for _, c := range k.Correlation[i] {
			if math.IsNaN(c) {
				row = append(row, "-")
			} else {
				row = append(row, fmt.Sprintf("%+.2f", c))
			}
		}
		t.Add(row...)
	}
	out = append(out, t.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
	out = append(out, m.paint.Muted.Render("  the columns after risk share are the correlations of monthly returns"), "")

	// The holdings that carry the most risk, in order.
	hs := slices.Clone(k.Holdings)
	slices.SortStableFunc(hs, func(a, b analysis.HoldingRisk) int {
		return cmp.Compare(nanLast(b.Contribution), nanLast(a.Contribution))
	})
	ht := common.NewTable([]int{1}, "holding", "follows", "weight", "risk share")
	for _, h := range hs[:min(len(hs), maxHoldings)] {
		follows := h.Asset.Name()
		if h.Proxy {
			follows += " (proxy)"
		}
		ht.Add(h.Label, follows, pct(h.Weight), pct(h.Contribution))
	}
	out = append(out, ht.Lines(m.paint.Header.Render, common.Every(m.paint.Normal.Render))...)
	if n := len(hs) - maxHoldings; n > 0 {
		out = append(out, m.paint.Muted.Render(fmt.Sprintf("  and %d more holdings with smaller shares of the risk (hardfolio analyze lists all)", n)))
	}
	for i, e := range k.Excluded {
		if i == maxHoldings {
			out = append(out, m.paint.Muted.Render(fmt.Sprintf("  and %d more left out", len(k.Excluded)-i)))
			break
		}
		for _, l := range common.Wrap(e.Holding+": "+e.Reason, w, "  left out: ") {
			out = append(out, m.paint.Muted.Render(l))
		}
	}
	return out
}

// maxHoldings is the number of holdings the risk tables list: the ones
// that carry the most risk.
const maxHoldings = 25

// nanLast maps an undefined contribution below every other.
func nanLast(x float64) float64 {
	if math.IsNaN(x) {
		return math.Inf(-1)
	}
	return x
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}
