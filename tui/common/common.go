// Package common is what every screen of the terminal interface shares: the
// Context (size, styles, keymap, clock, book, the current valuation), the
// Screen interface, the messages that carry results of background work, and
// the commands that do that work.
//
// The root model owns one Context and hands a pointer to every screen,
// which embeds it. Only Update methods change it, all on bubbletea's one
// event goroutine, so it needs no locks.
package common

import (
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// Context is the state every screen reads.
type Context struct {
	Width, Height int // the whole terminal

	Styles *styles.Styles
	Keys   *keys.KeyMap
	Now    func() time.Time

	// Book is the open portfolio. Screens never call its methods from
	// Update or View: saving runs in a command (see Save), and the
	// portfolio to show is Snap.Portfolio.
	Book *book.Book

	// Snap is the portfolio and its valuation that every screen shows,
	// so that totals agree across screens to the smallest unit.
	Snap *Snapshot

	ReadOnly       bool   // edits are refused
	ReadOnlyReason string // why, in words
	Demo           bool   // edits stay in memory
	Saving         bool   // a save is under way; further edits wait

	lastID int
}

// NextID returns a fresh request ID, so replies can find their owner.
func (c *Context) NextID() int {
	c.lastID++
	return c.lastID
}

// Portfolio is the portfolio on screen.
func (c *Context) Portfolio() *portfolio.Portfolio { return c.Snap.Portfolio }

// Unit is the valuation unit on screen.
func (c *Context) Unit() portfolio.Unit { return c.Snap.Unit }

// EditBlocked says why an edit cannot start now, or "" when it can.
func (c *Context) EditBlocked() string {
	switch {
	case c.ReadOnly:
		msg := "Read-only: edits are refused"
		if c.ReadOnlyReason != "" {
			msg += " (" + c.ReadOnlyReason + ")"
		}
		return msg
	case c.Saving:
		return "A save is under way; try again in a moment"
	}
	return ""
}

// Screen is one tab of the interface. Screens use pointer receivers and
// return themselves from Update.
type Screen interface {
	tea.Model
	help.KeyMap

	// Title is the tab label.
	Title() string
	// SetSize gives the screen the size of its area.
	SetSize(width, height int)
	// Refresh tells the screen that Context.Snap changed.
	Refresh()
	// Capturing reports whether the screen is taking text or a choice
	// (a form, a prompt, a question), so every key goes to it.
	Capturing() bool
}

// Loader is a Screen that reads data of its own (wallet caches, devices)
// besides the snapshot. The root calls Load after giving the screen a new
// size or snapshot; Load returns the command that reads what changed, or
// nil when nothing did.
type Loader interface {
	Load() tea.Cmd
}

// Owned is a message of background work that belongs to one screen: the
// root delivers it to the screen whose Title is Owner, whether or not it
// is the one shown (other messages go to the active screen only).
type Owned interface {
	Owner() string
}

// Level is how a status message is shown.
type Level int

// Status levels.
const (
	Info Level = iota
	Warn
	Error
)

// StatusMsg asks the root to show a message in the status line.
type StatusMsg struct {
	Text  string
	Level Level
}

// Status returns a command that shows a message in the status line.
func Status(level Level, text string) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text, Level: level} }
}
