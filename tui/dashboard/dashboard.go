// Package dashboard is the first screen: net worth in the chosen unit, the
// allocation along every dimension as labelled bars, and the age of every
// price, with stale ones flagged.
package dashboard

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// Model is the dashboard screen. Its whole content is laid out in Update
// (on resize and on new data) into lines; scrolling only moves a window
// over them.
type Model struct {
	*common.Context

	// Created says the portfolio file was just created: the welcome,
	// shown while the portfolio is empty, then says where it is.
	Created bool

	width int
	pager common.Pager

	paint paints
}

// paints are the styles drawn once per bar and row, compiled.
type paints struct {
	fill, empty, normal, muted, pct styles.Paint
}

// maxSlices is the number of rows an allocation panel shows; the smallest
// slices beyond it are added up in one row.
const maxSlices = 8

// New returns the dashboard.
func New(ctx *common.Context) *Model {
	st := ctx.Styles
	return &Model{Context: ctx, paint: paints{
		fill:   styles.Compile(st.Bar.Fill),
		empty:  styles.Compile(st.Bar.Empty),
		normal: styles.Compile(st.Text.Normal),
		muted:  styles.Compile(st.Text.Muted),
		pct:    styles.Compile(st.Bar.Percentage),
	}}
}

// Init does nothing: the data is in the context.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return "Dashboard" }

// Capturing is always false: the dashboard takes no text.
func (m *Model) Capturing() bool { return false }

// SetSize lays the dashboard out again.
func (m *Model) SetSize(width, height int) {
	m.width, m.pager.Height = width, height
	m.layout()
}

// Refresh lays the dashboard out for a new snapshot.
func (m *Model) Refresh() { m.layout() }

// Update scrolls.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.pager.Update(m.Keys, msg)
	return m, nil
}

// View returns the window laid out by the last Update.
func (m *Model) View() string { return m.pager.View() }

// ShortHelp lists the scrolling keys when there is something to scroll.
func (m *Model) ShortHelp() []key.Binding {
	if !m.pager.Scrollable() {
		return nil
	}
	return []key.Binding{m.Keys.Up, m.Keys.Down}
}

// FullHelp lists the scrolling keys.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.Keys.Navigation()} }

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Scrolling"} }

// NetWorth is the total on screen, formatted with its unit.
func (m *Model) NetWorth() string { return m.Snap.Total() }

// layout builds every line of the dashboard for the current size and
// snapshot.
func (m *Model) layout() {
	if m.width <= 0 || m.Snap == nil {
		m.pager.SetLines(nil)
		return
	}
	w := m.width - 2 // one column of margin on each side
	var lines []string
	lines = append(lines, m.header(w)...)
	if len(m.Snap.Rows) == 0 {
		lines = append(lines, "")
		lines = append(lines, m.welcome(w)...)
	}
	if len(m.Snap.Rows) > 0 {
		lines = append(lines, m.warnings(w)...)
		lines = append(lines, "")
		lines = append(lines, m.panels(w, m.Snap.Valuation.Total.Sign() > 0)...)
	}
	for i, l := range lines {
		lines[i] = " " + l
	}
	m.pager.SetLines(lines)
}

func (m *Model) header(w int) []string {
	st, s := m.Styles, m.Snap
	v := s.Valuation
	asOf := "as of " + s.AsOf.Format("Mon 2 Jan 2006 15:04 MST")
	title := st.Text.Title.Render("Net worth")
	line1 := title + pad(max(1, w-common.Width(title)-common.Width(asOf))) + st.Text.Muted.Render(asOf)

	total := st.Text.Big.Render(s.Total())
	right := ""
	if v.Total.Sign() > 0 {
		right = "self-custody " + common.Percent(s.SelfCustody)
	}
	line2 := total + pad(max(1, w-common.Width(total)-common.Width(right))) + st.Text.Strong.Render(right)

	var facts []string
	facts = append(facts, plural(len(s.Rows), "holding", "holdings"))
	facts = append(facts, plural(s.Custodians, "custodian", "custodians"))
	if oldest := oldestAge(s); oldest != "" {
		facts = append(facts, "oldest price "+oldest)
	}
	line3 := st.Text.Muted.Render(strings.Join(facts, " · "))
	var flags []string
	if v.Stale > 0 {
		flags = append(flags, st.Text.Warn.Render(plural(v.Stale, "stale price", "stale prices")))
	}
	if v.Unpriced > 0 {
		flags = append(flags, st.Text.Error.Render(fmt.Sprintf("%d unpriced", v.Unpriced)))
	}
	if len(flags) > 0 {
		line3 += st.Text.Muted.Render(" · ") + strings.Join(flags, st.Text.Muted.Render(" · "))
	}
	return []string{line1, line2, common.Truncate(line3, w)}
}

func (m *Model) welcome(w int) []string {
	st, km := m.Styles, m.Keys
	var out []string
	out = append(out, st.Text.Title.Render("Welcome to hardfolio"), "")
	var b strings.Builder
	b.WriteString("Your portfolio is empty.")
	if m.Created && m.Book != nil {
		b.WriteString(" A new portfolio file was created at " + m.Book.Path() + ".")
	}
	for _, l := range wrap(b.String(), w) {
		out = append(out, st.Text.Normal.Render(l))
	}
	out = append(out, "")
	how := fmt.Sprintf("To add your first holding, press %s for the Holdings screen, then %s. "+
		"The form asks what you hold (bitcoin, gold coins or bars, a gold ETF, cash, or anything else with a price), "+
		"how much, and who holds it; a new custodian can be added in the same form.",
		km.Screen[1].Help().Key, km.Add.Help().Key)
	for _, l := range wrap(how, w) {
		out = append(out, st.Text.Normal.Render(l))
	}
	out = append(out, "")
	more := fmt.Sprintf("Press %s for every key. Everything stays in your portfolio file on this machine.", km.Help.Help().Key)
	for _, l := range wrap(more, w) {
		out = append(out, st.Text.Muted.Render(l))
	}
	return out
}

func (m *Model) warnings(w int) []string {
	st, s := m.Styles, m.Snap
	var out []string
	var stale, unpriced []string
	for _, r := range s.Rows {
		switch {
		case r.Unpriced:
			unpriced = append(unpriced, r.Asset)
		case r.Stale:
			stale = append(stale, r.Asset+" ("+strings.TrimSuffix(r.Age, " stale")+")")
		}
	}
	if len(unpriced) > 0 {
		msg := fmt.Sprintf("No price or exchange rate links %s to %s, so %s at zero: %s.",
			plural(len(unpriced), "holding", "holdings"), s.Unit.Symbol(), itThem(len(unpriced)), list(unpriced, 6))
		out = append(out, "")
		for _, l := range wrap(msg, w) {
			out = append(out, st.Text.Error.Render(l))
		}
	}
	if len(stale) > 0 {
		msg := fmt.Sprintf("Stale price (older than %s) for %s.", common.Age(s.StaleAfter), list(stale, 6))
		out = append(out, "")
		for _, l := range wrap(msg, w) {
			out = append(out, st.Text.Warn.Render(l))
		}
	}
	return out
}

// panels lays out the five allocations and the price book in a grid of
// one to three columns.
func (m *Model) panels(w int, allocations bool) []string {
	const gap = 2
	cols := 1
	switch {
	case w >= 3*50+2*gap:
		cols = 3
	case w >= 2*36+gap:
		cols = 2
	}
	pw := (w - (cols-1)*gap) / cols
	showValues := pw >= 48

	var panels [][]string
	if allocations {
		for _, d := range portfolio.Dimensions {
			panels = append(panels, m.allocation(d, pw, showValues))
		}
	} else {
		// Nothing could be valued: bars of zero say nothing.
		panels = append(panels, m.noAllocation(pw))
	}
	panels = append(panels, m.prices(pw))

	var out []string
	for i := 0; i < len(panels); i += cols {
		row := panels[i:min(i+cols, len(panels))]
		h := 0
		for _, p := range row {
			h = max(h, len(p))
		}
		for y := 0; y < h; y++ {
			var b strings.Builder
			for j, p := range row {
				if j > 0 {
					b.WriteString(pad(gap))
				}
				cell := ""
				if y < len(p) {
					cell = p[y]
				}
				if j < len(row)-1 {
					cell += pad(pw - common.Width(cell))
				}
				b.WriteString(cell)
			}
			out = append(out, b.String())
		}
		if i+cols < len(panels) {
			out = append(out, "")
		}
	}
	return out
}

func dimTitle(d portfolio.Dimension) string {
	if d == portfolio.ByCurrency {
		return "Currency exposure"
	}
	return d.String()
}

func (m *Model) allocation(d portfolio.Dimension, pw int, showValues bool) []string {
	st, s := m.Styles, m.Snap
	slices := s.Allocation(d)
	if len(slices) > maxSlices {
		rest := portfolio.Slice{Key: "\x00rest"}
		for _, sl := range slices[maxSlices-1:] {
			rest.Value = rest.Value.Add(sl.Value)
			rest.Weight = rest.Weight.Add(sl.Weight)
			rest.Count++
		}
		rest.Label = fmt.Sprintf("%d more", rest.Count)
		slices = append(slices[:maxSlices-1:maxSlices-1], rest)
	}
	title := st.Text.Title.Render(dimTitle(d))
	if showValues {
		u := s.Unit.Symbol()
		title += pad(pw-common.Width(title)-common.Width(u)) + st.Text.Muted.Render(u)
	}
	out := []string{title}

	labels := make([]string, len(slices))
	lw := 0
	for i, sl := range slices {
		labels[i] = m.sliceLabel(d, sl)
		lw = max(lw, common.Width(labels[i]))
	}
	lw = min(lw, pw*2/5)
	const pctW = 6 // 100.0%
	vw := 0
	if showValues {
		for _, sl := range slices {
			vw = max(vw, len(portfolio.FormatDecimal(sl.Value, s.Unit.Scale())))
		}
	}
	bw := pw - lw - 1 - 1 - pctW
	if vw > 0 {
		bw -= vw + 1
	}
	if bw < 4 {
		bw = 4
	}
	for i, sl := range slices {
		label := m.paint.normal
		if sl.Key == "\x00rest" {
			label = m.paint.muted
		}
		line := label.Render(common.PadRight(labels[i], lw)) + " " +
			m.bar(sl.Weight, bw) + " " +
			m.paint.pct.Render(common.PadLeft(common.Percent(sl.Weight), pctW))
		if vw > 0 {
			line += " " + m.paint.muted.Render(common.PadLeft(portfolio.FormatDecimal(sl.Value, s.Unit.Scale()), vw))
		}
		out = append(out, line)
	}
	if len(slices) == 0 {
		out = append(out, st.Text.Muted.Render("nothing yet"))
	}
	return out
}

func (m *Model) noAllocation(pw int) []string {
	st, km := m.Styles, m.Keys
	out := []string{st.Text.Title.Render("Allocation")}
	msg := fmt.Sprintf("Nothing could be valued in %s. Press %s for another unit, or add a price or exchange rate that reaches %s.",
		m.Snap.Unit.Symbol(), km.NextUnit.Help().Key, m.Snap.Unit.Symbol())
	for _, l := range wrap(msg, pw) {
		out = append(out, st.Text.Muted.Render(l))
	}
	return out
}

func (m *Model) sliceLabel(d portfolio.Dimension, sl portfolio.Slice) string {
	if d == portfolio.ByJurisdiction && sl.Key != "" && sl.Key == m.Snap.Portfolio.Settings.HomeCountry {
		return sl.Label + " (home)"
	}
	if d == portfolio.ByCurrency {
		switch sl.Key {
		case "XAU":
			return "XAU (gold)"
		case "BTC":
			return "BTC"
		}
	}
	return sl.Label
}

// eighths are the partial blocks that give bars an eighth-of-a-cell
// resolution.
var eighths = []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// bar draws weight (0..1) as a bar of width cells.
func (m *Model) bar(weight decimal.Decimal, width int) string {
	st := m.Styles
	units := int(weight.Mul(decimal.NewFromInt(int64(width * 8))).Round(0).IntPart())
	units = max(0, min(units, width*8))
	full, part := units/8, units%8
	fill := strings.Repeat(st.Bar.FillRune, full) + eighths[part]
	cells := full
	if part > 0 {
		cells++
	}
	return m.paint.fill.Render(fill) + m.paint.empty.Render(strings.Repeat(st.Bar.EmptyRune, width-cells))
}

func (m *Model) prices(pw int) []string {
	st, s := m.Styles, m.Snap
	title := st.Text.Title.Render("Prices") + st.Text.Muted.Render(" · stale after "+common.Age(s.StaleAfter))
	out := []string{title}
	if len(s.Prices) == 0 {
		return append(out, st.Text.Muted.Render("no prices yet"))
	}
	// With a long price book, stale prices come first and the rest are
	// summed up in one line.
	const maxPrices = 10
	prices := s.Prices
	more, moreStale := 0, 0
	if len(prices) > maxPrices {
		var stale, fresh []common.PriceRow
		for _, p := range prices {
			if p.Stale {
				stale = append(stale, p)
			} else {
				fresh = append(fresh, p)
			}
		}
		prices = append(stale, fresh...)[:maxPrices-1]
		more = len(s.Prices) - len(prices)
		moreStale = max(0, len(stale)-len(prices))
	}
	lw, vw, aw := 0, 0, 0
	for _, p := range prices {
		lw = max(lw, common.Width(p.Label))
		vw = max(vw, common.Width(p.Value))
		aw = max(aw, common.Width(p.Age))
	}
	for _, p := range prices {
		line := st.Text.Normal.Render(common.PadRight(p.Label, lw)) + "  " +
			st.Text.Normal.Render(common.PadLeft(p.Value, vw)) + "  "
		if p.Stale {
			line += st.Text.Warn.Render(common.PadLeft(p.Age, aw) + " stale")
		} else {
			line += st.Text.Muted.Render(common.PadLeft(p.Age, aw))
		}
		out = append(out, common.Truncate(line, pw))
	}
	switch {
	case moreStale > 0:
		out = append(out, st.Text.Warn.Render(fmt.Sprintf("%d more, %d of them stale", more, moreStale)))
	case more > 0:
		out = append(out, st.Text.Muted.Render(fmt.Sprintf("%d more, none stale", more)))
	}
	return out
}

func oldestAge(s *common.Snapshot) string {
	var oldest int64 = -1
	label := ""
	for _, r := range s.Rows {
		if r.AgeDur >= 0 && int64(r.AgeDur) > oldest {
			oldest, label = int64(r.AgeDur), strings.TrimSuffix(r.Age, " stale")
		}
	}
	return label
}

func pad(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

func wrap(s string, w int) []string {
	return strings.Split(ansi.Wordwrap(s, w, ""), "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func itThem(n int) string {
	if n == 1 {
		return "it counts"
	}
	return "they count"
}

// list joins up to n items, then says how many more.
func list(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
