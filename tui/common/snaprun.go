package common

import tea "github.com/charmbracelet/bubbletea"

// SnapRun is the bookkeeping of work a screen runs once per snapshot, in
// a command and never in Update or View (an analysis, the stress
// scenarios): which snapshot was last asked for, which one the figures
// on screen are of, and the latest request, so that a late reply to an
// older request is dropped.
type SnapRun[R any] struct {
	Of    *Snapshot // the snapshot the figures on screen are of, nil before the first
	asked *Snapshot
	gen   int
}

// SnapDone carries the result of a SnapRun's work back to its screen.
type SnapDone[R any] struct {
	owner  string
	gen    int
	snap   *Snapshot
	Result R
}

// Owner is the screen that started the work.
func (d SnapDone[R]) Owner() string { return d.owner }

// Start returns the command that runs work on snap for the screen named
// owner, or nil when snap is nil or its figures are on screen or under
// way.
func (r *SnapRun[R]) Start(owner string, snap *Snapshot, work func(*Snapshot) R) tea.Cmd {
	if snap == nil || snap == r.Of || snap == r.asked {
		return nil
	}
	r.asked = snap
	r.gen++
	gen := r.gen
	return func() tea.Msg { return SnapDone[R]{owner: owner, gen: gen, snap: snap, Result: work(snap)} }
}

// Take reports whether d answers the latest request; when it does, d's
// snapshot becomes Of.
func (r *SnapRun[R]) Take(d SnapDone[R]) bool {
	if d.gen != r.gen {
		return false
	}
	r.Of = d.snap
	return true
}
