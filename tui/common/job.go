package common

import tea "github.com/charmbracelet/bubbletea"

// Job is background work that reports progress of type P and ends with a
// result of type D, both messages for its screen. The work's goroutine
// calls Report and Finish; the screen's commands Wait for the next
// message. Reports never block the work: one that the screen has not read
// yet is replaced by the newer one.
type Job[P, D any] struct {
	progress chan P
	done     chan D
}

// NewJob returns a job with nothing reported yet.
func NewJob[P, D any]() *Job[P, D] {
	return &Job[P, D]{progress: make(chan P, 1), done: make(chan D, 1)}
}

// Report sends the latest progress, dropping an unread earlier one.
func (j *Job[P, D]) Report(p P) {
	select {
	case j.progress <- p:
		return
	default:
	}
	select {
	case <-j.progress:
	default:
	}
	select {
	case j.progress <- p:
	default:
	}
}

// Finish sends the result; call it once.
func (j *Job[P, D]) Finish(d D) { j.done <- d }

// Wait returns the next message: the result if there is one (it wins over
// a report still unread), else the next report or the result, whichever
// comes first.
func (j *Job[P, D]) Wait() tea.Msg {
	select {
	case d := <-j.done:
		return d
	default:
	}
	select {
	case p := <-j.progress:
		return p
	case d := <-j.done:
		return d
	}
}

// Listen is the command that waits for the next message.
func (j *Job[P, D]) Listen() tea.Cmd { return j.Wait }
