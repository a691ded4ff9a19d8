package common

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// ValuedMsg carries a new snapshot. Gen is the request's generation: the
// root drops replies older than its latest request, so switching units
// twice quickly never shows the first unit last.
type ValuedMsg struct {
	Gen  int
	Snap *Snapshot
}

// Valuate returns a command that builds the snapshot of p in unit.
func Valuate(gen int, p *portfolio.Portfolio, unit portfolio.Unit, now time.Time) tea.Cmd {
	return func() tea.Msg {
		return ValuedMsg{Gen: gen, Snap: BuildSnapshot(p, unit, now)}
	}
}

// SaveRequestMsg asks the root to save Next in place of the portfolio on
// screen. ID lets the screen that asked recognise the reply.
type SaveRequestMsg struct {
	ID   int
	Next *portfolio.Portfolio
	Desc string // what changed, for the status line: "Added Bitcoin"
}

// RequestSave returns a command asking the root to save next.
func RequestSave(id int, next *portfolio.Portfolio, desc string) tea.Cmd {
	return func() tea.Msg { return SaveRequestMsg{ID: id, Next: next, Desc: desc} }
}

// SavedMsg reports a finished save. On error nothing changed: the book
// still holds Prev. On success Snap is the new portfolio valued in the
// unit that was on screen when the save began.
type SavedMsg struct {
	ID   int
	Gen  int
	Prev *portfolio.Portfolio
	Next *portfolio.Portfolio
	Desc string
	Undo bool // this save undid an earlier change
	// Refused is set when the save never started (read-only, or another
	// save under way); Err says why.
	Refused bool
	Snap    *Snapshot
	Err     error
}

// Save returns a command that writes next through the book and values it.
// It is the only place the interface writes: book.Save validates and
// writes atomically (or keeps the demo in memory).
func Save(b *book.Book, req SaveRequestMsg, prev *portfolio.Portfolio, undo bool, gen int, unit portfolio.Unit, now time.Time) tea.Cmd {
	return func() tea.Msg {
		msg := SavedMsg{ID: req.ID, Gen: gen, Prev: prev, Next: req.Next, Desc: req.Desc, Undo: undo}
		if err := b.Save(req.Next); err != nil {
			msg.Err = err
			return msg
		}
		msg.Snap = BuildSnapshot(req.Next, unit, now)
		return msg
	}
}
