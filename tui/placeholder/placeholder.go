// Package placeholder is the screen shown on tabs whose screen is not built
// yet: it says so plainly and what the screen will do.
package placeholder

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Model is a tab that is not built yet.
type Model struct {
	*common.Context
	title     string
	summary   string
	points    []string
	meanwhile string

	width, height int
	lines         []string
	offset        int
	view          string
}

// New returns the placeholder for the screen title: summary says what it
// will be for, points list what it will do, meanwhile what to do until then.
func New(ctx *common.Context, title, summary string, points []string, meanwhile string) *Model {
	return &Model{Context: ctx, title: title, summary: summary, points: points, meanwhile: meanwhile}
}

// Init does nothing.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return m.title }

// Capturing is always false: the screen takes no input.
func (m *Model) Capturing() bool { return false }

// Refresh does nothing: the screen shows no data.
func (m *Model) Refresh() {}

// SetSize lays the text out for the new size.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.layout()
}

// Update scrolls when the text is taller than the screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.Keys
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, km.Up):
			m.scroll(-1)
		case key.Matches(msg, km.Down):
			m.scroll(1)
		case key.Matches(msg, km.Top):
			m.scroll(-len(m.lines))
		case key.Matches(msg, km.Bottom):
			m.scroll(len(m.lines))
		}
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.scroll(-3)
		case tea.MouseButtonWheelDown:
			m.scroll(3)
		}
	}
	return m, nil
}

// View returns the text laid out by the last Update.
func (m *Model) View() string { return m.view }

// ShortHelp lists no screen keys.
func (m *Model) ShortHelp() []key.Binding { return nil }

// FullHelp lists no screen keys.
func (m *Model) FullHelp() [][]key.Binding { return nil }

func (m *Model) scroll(n int) {
	m.offset += n
	if max := len(m.lines) - m.height; m.offset > max {
		m.offset = max
	}
	if m.offset < 0 {
		m.offset = 0
	}
	m.render()
}

func (m *Model) layout() {
	st := m.Styles
	w := m.width - 2
	if w > 76 {
		w = 76
	}
	if w < 10 {
		w = 10
	}
	wrap := func(s string, indent int) []string {
		return strings.Split(ansi.Wordwrap(s, w-indent, ""), "\n")
	}
	var lines []string
	lines = append(lines, "", st.Text.Title.Render(m.title)+st.Text.Muted.Render(" — not built yet"), "")
	for _, l := range wrap(m.summary, 0) {
		lines = append(lines, st.Text.Normal.Render(l))
	}
	lines = append(lines, "", st.Text.Strong.Render("This screen will:"))
	for _, p := range m.points {
		for i, l := range wrap(p, 4) {
			prefix := "    "
			if i == 0 {
				prefix = "  • "
			}
			lines = append(lines, st.Text.Normal.Render(prefix+l))
		}
	}
	lines = append(lines, "")
	for _, l := range wrap("Until then, "+m.meanwhile, 0) {
		lines = append(lines, st.Text.Muted.Render(l))
	}
	for i := range lines {
		lines[i] = " " + lines[i]
	}
	m.lines = lines
	m.scroll(0)
}

func (m *Model) render() {
	end := m.offset + m.height
	if end > len(m.lines) {
		end = len(m.lines)
	}
	if m.offset >= end {
		m.view = ""
		return
	}
	m.view = strings.Join(m.lines[m.offset:end], "\n")
}
