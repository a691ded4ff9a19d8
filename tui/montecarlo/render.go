package montecarlo

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/montecarlo"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// layout builds every line for the current size, run and result.
func (m *Model) layout() {
	if m.width <= 0 || m.Snap == nil {
		m.pager.SetLines(nil)
		return
	}
	w := m.width - 2
	s := m.settings
	title := m.paint.Title.Render(Title)
	info := fmt.Sprintf("%s paths · %d years · rebalancing %s · seed %d", groupInt(s.Paths), s.Years, s.Policy, s.Seed)
	lines := []string{title + common.PadLeft(m.paint.Muted.Render(info), max(1, w-common.Width(title)))}
	switch {
	case m.job != nil:
		pct := 100 * m.job.last / max(1, m.job.paths)
		lines = append(lines, m.paint.Warn.Render(fmt.Sprintf("Simulating… %d%% (%s of %s paths) · %s stops",
			pct, groupInt(m.job.last), groupInt(m.job.paths), m.Keys.SimStop.Help().Key)))
	case m.stopped:
		lines = append(lines, m.paint.Muted.Render("Stopped. Change a setting, or press "+m.Keys.SimReseed.Help().Key+", to run again."))
	case m.err != nil:
		for _, l := range wrap("Cannot simulate: "+m.err.Error()+".", w) {
			lines = append(lines, m.paint.Error.Render(l))
		}
	case m.res != nil && m.of != m.Snap:
		lines = append(lines, m.paint.Muted.Render("The portfolio changed: these figures are of the previous one."))
	}
	if r := m.res; r != nil {
		lines = append(lines, m.body(r, w)...)
	}
	for i, l := range lines {
		lines[i] = " " + common.Truncate(l, w)
	}
	m.pager.SetLines(lines)
}

func wrap(s string, w int) []string {
	return strings.Split(ansi.Wordwrap(s, max(10, w), ""), "\n")
}

// body is the result: where it is drawn from, the fan, the table of
// percentiles and the real-terms figures.
func (m *Model) body(r *montecarlo.Result, w int) []string {
	pl := m.plan
	unit := pl.ValuationUnit
	var out []string
	src := fmt.Sprintf("Drawn from %s to %s (%d months) in %d-month blocks, all assets together; values in %s, nominal.",
		r.From, r.To, r.Months, r.Config.BlockMonths, unit.Symbol())
	for _, l := range wrap(src, w) {
		out = append(out, m.paint.Muted.Render(l))
	}
	notes := []string{}
	if pl.UnitNote != "" {
		notes = append(notes, "Note: "+pl.UnitNote+".")
	}
	if n := r.BitcoinNote(); n != "" && r.Config.Expect == nil {
		notes = append(notes, "Note: "+n+" ("+m.Keys.SimLater.Help().Key+" moves the start a year later, "+m.Keys.SimBTC.Help().Key+" gives bitcoin a growth of your own).")
	}
	if e, ok := r.Config.Expect[history.BTC]; ok {
		notes = append(notes, fmt.Sprintf("Bitcoin is given %.0f%% growth a year (compound, nominal in %s) and %.0f%% volatility instead of its history's, with its correlations kept (%s changes it).", 100*e, r.Config.Unit, 100*r.Config.Volatility[history.BTC], m.Keys.SimBTC.Help().Key))
	}
	if len(pl.Excluded) > 0 {
		ids := make([]string, len(pl.Excluded))
		for i, e := range pl.Excluded {
			ids[i] = e.Holding
		}
		notes = append(notes, "Left out, without price or history: "+strings.Join(ids, ", ")+".")
	}
	for _, n := range notes {
		for _, l := range wrap(n, w) {
			out = append(out, m.paint.Warn.Render(l))
		}
	}
	out = append(out, "")
	chartH := max(8, min(24, m.pager.Height-8))
	out = append(out, m.chart(r, w, chartH)...)
	out = append(out, "")
	out = append(out, m.table(r, w)...)
	out = append(out, "")
	out = append(out, m.realTerms(r, w)...)
	return out
}

// cell classes of the fan chart.
const (
	cellEmpty = iota
	cellStart // the starting value's row, where nothing else is drawn
	cellOuter // between the 5th and 95th percentiles
	cellInner // between the 25th and 75th
	cellMedian
)

// chart draws the fan: for each column, the percentiles interpolated
// between the simulated points, on a log scale when they span more than a
// factor of four; a dotted row marks the starting value.
func (m *Model) chart(r *montecarlo.Result, w, h int) []string {
	pl := m.plan
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, q := range r.Fan {
		lo, hi = math.Min(lo, q[0]), math.Max(hi, q[4])
	}
	lo, hi = math.Min(lo, 1), math.Max(hi, 1)
	logScale := hi/lo > 4
	scale := func(x float64) float64 {
		if logScale {
			return math.Log(math.Max(x, 1e-12))
		}
		return x
	}
	unscale := func(y float64) float64 {
		if logScale {
			return math.Exp(y)
		}
		return y
	}
	sLo, sHi := scale(lo), scale(hi)
	if sHi-sLo < 1e-12 {
		sHi = sLo + 1
	}
	// Row r covers [bottom(r), top(r)) in scaled units, from the top.
	rowH := (sHi - sLo) / float64(h)
	top := func(row int) float64 { return sHi - float64(row)*rowH }

	labels := make([]string, h)
	labelW := 0
	for row := 0; row < h; row++ {
		if row%4 == 0 || row == h-1 {
			labels[row] = compact(pl.Start.InexactFloat64()*unscale(top(row)-rowH/2)) + " "
			labelW = max(labelW, common.Width(labels[row]))
		}
	}
	pw := max(10, w-labelW-1)
	last := float64(r.Times[len(r.Times)-1])
	cols := make([][5]float64, pw)
	for c := range cols {
		t := last * float64(c) / float64(max(1, pw-1))
		cols[c] = interpolate(r, t, scale)
	}
	start := scale(1)
	paint := []func(string) string{
		cellEmpty: m.paint.Muted.Render, cellStart: m.paint.Muted.Render,
		cellOuter: m.paint.BarEmpty.Render, cellInner: m.paint.BarFill.Render, cellMedian: m.paint.Strong.Render,
	}
	glyph := []string{cellEmpty: " ", cellStart: "┄", cellOuter: "░", cellInner: "▓", cellMedian: "━"}
	var out []string
	for row := 0; row < h; row++ {
		t, b := top(row), top(row)-rowH
		var line strings.Builder
		line.WriteString(common.PadLeft(labels[row], labelW))
		line.WriteString(m.paint.Muted.Render("│"))
		run, runClass := 0, -1
		flush := func() {
			if run > 0 {
				line.WriteString(paint[runClass](strings.Repeat(glyph[runClass], run)))
			}
		}
		for _, q := range cols {
			class := cellEmpty
			switch {
			case q[2] >= b && q[2] < t:
				class = cellMedian
			case q[3] >= b && q[1] < t:
				class = cellInner
			case q[4] >= b && q[0] < t:
				class = cellOuter
			case start >= b && start < t:
				class = cellStart
			}
			if class != runClass {
				flush()
				run, runClass = 0, class
			}
			run++
		}
		flush()
		out = append(out, strings.TrimRight(line.String(), " "))
	}
	axis := strings.Repeat(" ", labelW) + "└" + strings.Repeat("─", pw)
	out = append(out, m.paint.Muted.Render(axis))
	ticks := []byte(strings.Repeat(" ", labelW+1+pw))
	years := int(last) / 12
	step := max(1, years/5)
	for y := 0; y <= years; y += step {
		c := labelW + 1 + int(math.Round(float64(y*12)/last*float64(pw-1)))
		label := fmt.Sprint(y)
		if y == years {
			label += " years"
			c -= len(label) - 1
		}
		if c >= 0 && c+len(label) <= len(ticks) {
			copy(ticks[c:], label)
		}
	}
	scaleNote := "linear scale"
	if logScale {
		scaleNote = "log scale"
	}
	legend := fmt.Sprintf("━ median   ▓ 25th-75th percentile   ░ 5th-95th   ┄ starting value   %s, %s", scaleNote, pl.ValuationUnit.Symbol())
	return append(out, m.paint.Muted.Render(strings.TrimRight(string(ticks), " ")), m.paint.Muted.Render(common.Truncate(legend, w)))
}

// interpolate returns the percentiles at month t, scaled, interpolated
// linearly between the simulated points in scaled units.
func interpolate(r *montecarlo.Result, t float64, scale func(float64) float64) [5]float64 {
	k := 0
	for k+1 < len(r.Times)-1 && float64(r.Times[k+1]) < t {
		k++
	}
	t0, t1 := float64(r.Times[k]), float64(r.Times[min(k+1, len(r.Times)-1)])
	f := 0.0
	if t1 > t0 {
		f = (t - t0) / (t1 - t0)
	}
	var out [5]float64
	for i := range out {
		a, b := scale(r.Fan[k][i]), scale(r.Fan[min(k+1, len(r.Fan)-1)][i])
		out[i] = a + f*(b-a)
	}
	return out
}

// table lists the percentiles in money every few years, in full when they
// fit in w cells, in short (3.4M) when not.
func (m *Model) table(r *montecarlo.Result, w int) []string {
	rows := m.tableRows(r, false)
	if tableWidth(rows) > w {
		rows = m.tableRows(r, true)
	}
	return m.drawTable(rows)
}

func (m *Model) tableRows(r *montecarlo.Result, short bool) [][]string {
	pl := m.plan
	scale := pl.ValuationUnit.Scale()
	rows := [][]string{{"year"}}
	for _, p := range montecarlo.Percentiles {
		rows[0] = append(rows[0], fmt.Sprintf("P%.0f", p))
	}
	step := max(1, (len(r.Times)-1)/6)
	for k := 0; k < len(r.Times); k += step {
		if k+step >= len(r.Times) {
			k = len(r.Times) - 1
		}
		row := []string{montecarlo.YearLabel(r.Times[k])}
		for _, x := range r.Fan[k] {
			if short {
				row = append(row, compact(pl.Value(x).InexactFloat64()))
			} else {
				row = append(row, portfolio.FormatDecimal(pl.Value(x), scale))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// columnWidths are the widths of a table's columns; tableWidth its width
// as drawn (one leading space, two before each column).
func columnWidths(rows [][]string) []int {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], common.Width(c))
		}
	}
	return width
}

func tableWidth(rows [][]string) int {
	n := 1
	for _, c := range columnWidths(rows) {
		n += c + 2
	}
	return n
}

func (m *Model) drawTable(rows [][]string) []string {
	width := columnWidths(rows)
	var out []string
	for n, row := range rows {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range row {
			b.WriteString(" " + common.PadLeft(c, width[i]+1))
		}
		style := m.paint.Normal.Render
		if n == 0 {
			style = m.paint.Header.Render
		}
		out = append(out, style(b.String()))
	}
	return out
}

func (m *Model) realTerms(r *montecarlo.Result, w int) []string {
	real := make([]string, len(r.RealFinal))
	for i, x := range r.RealFinal {
		real[i] = fmt.Sprintf("×%.2f", x)
	}
	var losses []string
	for _, l := range r.Losses {
		what := "any"
		if l.Level > 0 {
			what = fmt.Sprintf("over %.0f%%", 100*l.Level)
		}
		losses = append(losses, fmt.Sprintf("%s %.1f%%", what, 100*l.Probability))
	}
	text := []string{
		fmt.Sprintf("In real terms (USD deflated by US CPI-U), after %d years: P5..P95 %s.", r.Config.Years, strings.Join(real, " ")),
		"Probability of a real loss: " + strings.Join(losses, ", ") + ".",
		fmt.Sprintf("CVaR 95%%: %.1f%%, the mean real return of the worst 5%% of paths. Median maximum drawdown: %.1f%%.", 100*r.CVaR95, 100*r.MedianMaxDrawdown),
	}
	var out []string
	for _, t := range text {
		for _, l := range wrap(t, w) {
			out = append(out, m.paint.Normal.Render(l))
		}
	}
	return out
}

// compact writes an amount in a few characters for the chart's axis:
// 950, 12.5k, 3.4M, 1.2bn, 7.1tn.
func compact(x float64) string {
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e12, "tn"}, {1e9, "bn"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(x) >= u.div {
			return trimZero(x/u.div) + u.suffix
		}
	}
	if math.Abs(x) >= 1 || x == 0 {
		return trimZero(x)
	}
	return decimal.NewFromFloat(x).Round(4).String()
}

func trimZero(x float64) string {
	switch {
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 10:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", x), ".0")
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", x), "0"), ".")
}
