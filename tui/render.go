package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Smallest terminal the interface lays out for.
const (
	minWidth  = 40
	minHeight = 10
)

// groupTitler is implemented by screens that name their help groups.
type groupTitler interface {
	HelpGroupTitles() []string
}

func (m *Model) initHelp() {
	h := help.New()
	h.Styles = m.ctx.Styles.Help
	h.ShortSeparator = " · "
	h.FullSeparator = "    "
	h.Ellipsis = "…"
	m.help = h
}

// render draws the whole frame; View returns it as is.
func (m *Model) render() {
	w, h := m.ctx.Width, m.ctx.Height
	if w <= 0 || h <= 0 {
		m.frame = ""
		return
	}
	st := m.ctx.Styles
	if w < minWidth || h < minHeight {
		m.frame = st.Text.Warn.Render(common.Truncate("hardfolio needs a terminal of at least 40×10", w))
		return
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.memo(&m.memoHeader, fmt.Sprint(w, m.ctx.Unit(), m.wantUnit, m.ctx.Portfolio().Name), func() string { return m.headerLine(w) }))
	tabs := m.memo(&m.memoTabs, fmt.Sprint(w, m.active), func() string {
		t, r := m.tabLines(w)
		return t + "\n" + r
	})
	t, r, _ := strings.Cut(tabs, "\n")
	lines = append(lines, t, r)

	ch := m.contentHeight()
	var body []string
	if m.showHelp {
		end := min(len(m.helpLines), m.helpOffset+ch)
		body = append([]string(nil), m.helpLines[m.helpOffset:end]...)
		if end < len(m.helpLines) && len(body) > 0 {
			body[len(body)-1] = st.Text.Muted.Render(" ↓ more (" + m.ctx.Keys.Down.Help().Key + ")")
		}
	} else {
		body = strings.Split(m.screens[m.active].View(), "\n")
		if len(body) > ch {
			body = body[:ch]
		}
	}
	lines = append(lines, body...)
	for len(lines) < chromeTop+ch {
		lines = append(lines, "")
	}
	lines = append(lines, m.statusLine(w), m.keysLine(w))
	m.frame = strings.Join(lines, "\n")
}

// memoized is a drawn line and what it was drawn from.
type memoized struct{ key, value string }

// memo returns the value kept in c when key is unchanged, and draws it
// again otherwise: the chrome changes rarely and is drawn every frame.
func (m *Model) memo(c *memoized, key string, draw func() string) string {
	if c.key != key || c.value == "" {
		c.key, c.value = key, draw()
	}
	return c.value
}

func (m *Model) headerLine(w int) string {
	st := m.ctx.Styles
	name := m.ctx.Portfolio().Name
	if name == "" {
		name = "Portfolio"
	}
	left := st.HeaderTitle.Render(" hardfolio") + st.Header.Render(" · "+name)
	right := "value in " + m.ctx.Unit().Symbol() + " "
	if m.Valuing() {
		right = "valuing in " + m.wantUnit.Symbol() + "… "
	}
	gap := w - common.Width(left) - common.Width(right)
	if gap < 1 {
		return common.Truncate(left, w)
	}
	return left + st.Header.Render(strings.Repeat(" ", gap)) + st.HeaderInfo.Render(right)
}

// tabLines draws the tab labels and the rule under them, numbering the
// tabs when there is room, and remembers where each tab is for clicks.
func (m *Model) tabLines(w int) (string, string) {
	st := m.ctx.Styles
	type layout struct {
		margin, gap int
		numbers     bool
	}
	var labels []string
	var lay layout
	for _, l := range []layout{{1, 2, true}, {0, 2, true}, {1, 2, false}, {0, 1, false}} {
		labels = labels[:0]
		total := l.margin + l.gap*(len(m.screens)-1)
		for i, s := range m.screens {
			t := s.Title()
			if l.numbers {
				t = string(rune('1'+i)) + " " + t
			}
			labels = append(labels, t)
			total += common.Width(t)
		}
		lay = l
		if total <= w {
			break
		}
	}
	m.tabs = m.tabs[:0]
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", lay.margin))
	x := lay.margin
	for i, t := range labels {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", lay.gap))
			x += lay.gap
		}
		if x+common.Width(t) > w {
			t = common.Truncate(t, max(1, w-x))
		}
		tw := common.Width(t)
		if i == m.active {
			b.WriteString(st.TabActive.Render(t))
		} else {
			b.WriteString(st.TabInactive.Render(t))
		}
		m.tabs = append(m.tabs, tabSpan{x, x + tw})
		x += tw
		if x >= w {
			break
		}
	}
	var rule string
	if m.active < len(m.tabs) {
		a := m.tabs[m.active]
		rule = st.Rule.Render(strings.Repeat("─", a.x0)) +
			st.RuleActive.Render(strings.Repeat("━", a.x1-a.x0)) +
			st.Rule.Render(strings.Repeat("─", max(0, w-a.x1)))
	} else {
		rule = st.Rule.Render(strings.Repeat("─", w))
	}
	return b.String(), rule
}

func (m *Model) statusLine(w int) string {
	st := m.ctx.Styles
	if m.promptOn {
		line := " " + m.prompt.View()
		if m.promptErr != "" {
			line += "  " + st.StatusError.Render(m.promptErr)
		}
		return common.Truncate(line, w)
	}
	var mode string
	switch {
	case m.ctx.Saving:
		mode = "saving…"
	case m.ctx.ReadOnly:
		mode = "READ-ONLY"
		if m.ctx.ReadOnlyReason != "" {
			mode += " · " + m.ctx.ReadOnlyReason
		}
	case m.ctx.Demo:
		mode = "DEMO · edits stay in memory"
	}
	mode = common.Truncate(mode, max(0, w/2))
	left := ""
	if m.status != "" {
		style := st.StatusInfo
		switch m.statusLevel {
		case common.Warn:
			style = st.StatusWarn
		case common.Error:
			style = st.StatusError
		}
		room := w - 2 - common.Width(mode) - 2
		left = " " + style.Render(common.Truncate(m.status, max(0, room)))
	}
	gap := w - common.Width(left) - common.Width(mode) - 1
	if mode == "" {
		return left
	}
	return left + strings.Repeat(" ", max(1, gap)) + st.StatusMode.Render(mode)
}

func (m *Model) keysLine(w int) string {
	km := m.ctx.Keys
	// b is cut with "…" when the line is too narrow; tail (help and quit)
	// always shows, at the end.
	var b, tail []key.Binding
	switch {
	case m.promptOn:
		b = []key.Binding{km.Accept, km.Cancel}
	case m.showHelp:
		b = []key.Binding{withDesc(km.Help, "close help"), km.Up, km.Down}
	default:
		s := m.screens[m.active]
		b = append(b, s.ShortHelp()...)
		if !s.Capturing() {
			b = append(b, km.NextTab, km.NextUnit)
			if len(m.undo) > 0 {
				b = append(b, km.Undo)
			}
			tail = []key.Binding{km.Help, km.Quit}
		}
	}
	var k strings.Builder
	fmt.Fprint(&k, w)
	for _, x := range append(b, tail...) {
		if x.Enabled() {
			k.WriteString("\x00" + x.Help().Key + "\x01" + x.Help().Desc)
		}
	}
	return m.memo(&m.memoKeys, k.String(), func() string {
		m.help.Width = 0
		end := ""
		if len(tail) > 0 {
			end = m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator) + m.help.ShortHelpView(tail)
		}
		return " " + fitHelp(m.help, b, w-1-lipgloss.Width(end)) + end
	})
}

// fitHelp renders as many of bindings as fit in width cells, then "…".
// (help.Model's own cut lets lines overflow when its ellipsis does not fit
// after the last item that does.)
func fitHelp(h help.Model, bindings []key.Binding, width int) string {
	h.Width = 0
	if full := h.ShortHelpView(bindings); lipgloss.Width(full) <= width {
		return full
	}
	ellipsis := " " + h.Styles.Ellipsis.Render(h.Ellipsis)
	fit := ""
	for n := 1; n <= len(bindings); n++ {
		s := h.ShortHelpView(bindings[:n])
		if lipgloss.Width(s)+lipgloss.Width(ellipsis) > width {
			break
		}
		fit = s
	}
	return fit + ellipsis
}

func withDesc(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// layoutHelp lays out the help overlay for the active screen: the keys
// that work everywhere, then the screen's own groups, each drawn by
// bubbles/help from the keymap.
func (m *Model) layoutHelp() {
	w := m.ctx.Width
	if w <= 0 {
		return
	}
	st := m.ctx.Styles
	km := m.ctx.Keys
	type group struct {
		title string
		lines []string
	}
	render := func(title string, bs []key.Binding) group {
		v := m.help.FullHelpView([][]key.Binding{bs})
		return group{title, strings.Split(v, "\n")}
	}
	s := m.screens[m.active]
	groups := []group{render("Everywhere", km.Global())}
	var titles []string
	if t, ok := s.(groupTitler); ok {
		titles = t.HelpGroupTitles()
	}
	for i, g := range s.FullHelp() {
		title := s.Title()
		if i < len(titles) {
			title = titles[i]
		}
		groups = append(groups, render(title, g))
	}

	colW := 0
	for _, g := range groups {
		colW = max(colW, common.Width(g.title))
		for _, l := range g.lines {
			colW = max(colW, common.Width(l))
		}
	}
	const gap = 4
	inner := w - 6 // box border and padding, and a margin
	cols := max(1, min(len(groups), (inner+gap)/(colW+gap)))
	var body []string
	for i := 0; i < len(groups); i += cols {
		row := groups[i:min(i+cols, len(groups))]
		h := 0
		for _, g := range row {
			h = max(h, len(g.lines)+1)
		}
		for y := 0; y < h; y++ {
			var b strings.Builder
			for j, g := range row {
				if j > 0 {
					b.WriteString(strings.Repeat(" ", gap))
				}
				cell := ""
				if y == 0 {
					cell = st.Text.Title.Render(g.title)
				} else if y-1 < len(g.lines) {
					cell = g.lines[y-1]
				}
				if j < len(row)-1 {
					cell += strings.Repeat(" ", max(0, colW-common.Width(cell)))
				}
				b.WriteString(cell)
			}
			body = append(body, b.String())
		}
		if i+cols < len(groups) {
			body = append(body, "")
		}
	}
	title := st.OverlayTitle.Render("Keys") + st.Text.Muted.Render(" · "+km.Help.Help().Key+" or "+km.Cancel.Help().Key+" closes")
	body = append([]string{title, ""}, body...)

	ch := m.contentHeight()
	bodyW := 0
	for _, l := range body {
		bodyW = max(bodyW, common.Width(l))
	}
	var lines []string
	if len(body)+2 <= ch && bodyW+4 <= w {
		box := st.Overlay.Render(strings.Join(body, "\n"))
		bw := common.Width(strings.SplitN(box, "\n", 2)[0])
		left := strings.Repeat(" ", max(0, (w-bw)/2))
		top := max(0, (ch-len(body)-2)/2)
		lines = make([]string, top)
		for _, l := range strings.Split(box, "\n") {
			lines = append(lines, left+l)
		}
	} else {
		for _, l := range body {
			lines = append(lines, " "+l)
		}
	}
	m.helpLines = lines
	m.scrollHelp(0)
}

func (m *Model) scrollHelp(n int) {
	m.helpOffset += n
	if max := len(m.helpLines) - m.contentHeight(); m.helpOffset > max {
		m.helpOffset = max
	}
	if m.helpOffset < 0 {
		m.helpOffset = 0
	}
}
