package common

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/tui/keys"
)

// Pager is a window of Height lines over a screen's laid-out lines,
// scrolled with the navigation keys and the mouse wheel. View is the
// window, joined once per scroll.
type Pager struct {
	Height int
	lines  []string
	offset int
	view   string
}

// SetLines replaces the lines, keeping the scroll position where it can.
func (p *Pager) SetLines(lines []string) {
	p.lines = lines
	p.Scroll(0)
}

// Lines returns the lines laid out.
func (p *Pager) Lines() []string { return p.lines }

// Scrollable reports whether there are more lines than fit.
func (p *Pager) Scrollable() bool { return len(p.lines) > p.Height }

// Scroll moves the window by n lines, within the lines.
func (p *Pager) Scroll(n int) {
	p.offset = max(0, min(p.offset+n, len(p.lines)-p.Height))
	end := min(p.offset+p.Height, len(p.lines))
	p.view = strings.Join(p.lines[p.offset:end], "\n")
}

// View is the window.
func (p *Pager) View() string { return p.view }

// Update scrolls for a navigation key or the mouse wheel, and reports
// whether msg was one.
func (p *Pager) Update(km *keys.KeyMap, msg tea.Msg) bool {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, km.Up):
			p.Scroll(-1)
		case key.Matches(msg, km.Down):
			p.Scroll(1)
		case key.Matches(msg, km.PageUp):
			p.Scroll(-p.Height)
		case key.Matches(msg, km.PageDown):
			p.Scroll(p.Height)
		case key.Matches(msg, km.Top):
			p.Scroll(-len(p.lines))
		case key.Matches(msg, km.Bottom):
			p.Scroll(len(p.lines))
		default:
			return false
		}
		return true
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			p.Scroll(-3)
		case tea.MouseButtonWheelDown:
			p.Scroll(3)
		default:
			return false
		}
		return true
	}
	return false
}

// Offset is the first line in the window.
func (p *Pager) Offset() int { return p.offset }
