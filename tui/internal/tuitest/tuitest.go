// Package tuitest drives the interface's models in tests: it presses
// bindings by name, runs the commands Update returns the way bubbletea
// would (synchronously), and reads frames as plain text.
package tuitest

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	// The golden package registers the -update flag; every test package
	// of the interface imports this one, so `go test ./tui/... -update`
	// works across them.
	_ "github.com/charmbracelet/x/exp/golden"

	"codeberg.org/hardfolio/hardfolio/tui/keys"
)

// Clock is the moment golden files are drawn at.
var Clock = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Now returns Clock.
func Now() time.Time { return Clock }

// Send runs msg through m.Update and then every command it returns,
// feeding their messages back in, until none are left. Quit is ignored.
func Send(m tea.Model, msg tea.Msg) tea.Model {
	queue := []tea.Msg{msg}
	for len(queue) > 0 && len(queue) < 1000 {
		msg, queue = queue[0], queue[1:]
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		queue = append(queue, Run(cmd)...)
	}
	return m
}

// Run executes a command and returns the messages it produces, flattening
// batches. Quit and nil messages are dropped.
func Run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	switch msg := msg.(type) {
	case nil, tea.QuitMsg:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, Run(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// Press presses a binding by name: its first key.
func Press(m tea.Model, b key.Binding) tea.Model { return Send(m, keys.Press(b)) }

// Type types text one key at a time.
func Type(m tea.Model, s string) tea.Model {
	for _, r := range s {
		m = Send(m, keys.KeyMsg(string(r)))
	}
	return m
}

// Plain returns the model's frame without ANSI sequences, with trailing
// spaces trimmed from each line.
func Plain(m tea.Model) string {
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}
