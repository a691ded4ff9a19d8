package common

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// Fields is a column of text fields that save together: each field's
// error, which one has the keyboard, the save under way and what went
// wrong with it. Screens build their forms on it (the warning limits,
// the rebalancing costs).
type Fields struct {
	Inputs  []textinput.Model
	Errs    []string
	Focus   int
	Pending int // the save request under way, 0 if none
	SaveErr string
}

// NewFields makes n fields styled with st, without a prompt, the first
// focused; setup gives each its width, limit, placeholder and value.
func NewFields(n int, st *styles.Styles, setup func(i int, in *textinput.Model)) *Fields {
	f := &Fields{Errs: make([]string, n)}
	for i := range n {
		in := textinput.New()
		in.Prompt = ""
		StyleInput(&in, st)
		setup(i, &in)
		if i == 0 {
			in.Focus()
		}
		f.Inputs = append(f.Inputs, in)
	}
	return f
}

// Move gives the keyboard to the field n places on, wrapping around.
func (f *Fields) Move(n int) {
	f.Inputs[f.Focus].Blur()
	f.Focus = (f.Focus + n + len(f.Inputs)) % len(f.Inputs)
	f.Inputs[f.Focus].Focus()
}

// FieldsAction is what a key asks of a form.
type FieldsAction int

// What a key asks.
const (
	FieldsNone   FieldsAction = iota // moved or typed: nothing for the screen to do
	FieldsCancel                     // close the form without saving
	FieldsSubmit                     // check and save
)

// Key handles a key: esc cancels, tab and shift+tab move, ctrl+s and
// enter submit, anything else goes to the focused field (clearing its
// error). While a save is under way keys are ignored.
func (f *Fields) Key(km *keys.KeyMap, msg tea.KeyMsg) (FieldsAction, tea.Cmd) {
	if f.Pending != 0 {
		return FieldsNone, nil
	}
	switch {
	case key.Matches(msg, km.Cancel):
		return FieldsCancel, nil
	case key.Matches(msg, km.NextField):
		f.Move(1)
	case key.Matches(msg, km.PrevField):
		f.Move(-1)
	case key.Matches(msg, km.Submit), key.Matches(msg, km.Accept):
		return FieldsSubmit, nil
	default:
		var cmd tea.Cmd
		f.Inputs[f.Focus], cmd = f.Inputs[f.Focus].Update(msg)
		f.Errs[f.Focus] = ""
		return FieldsNone, cmd
	}
	return FieldsNone, nil
}

// Saved takes the reply to a save: true when it was this form's and it
// succeeded (the form can close); a failure is kept in SaveErr.
func (f *Fields) Saved(msg SavedMsg) bool {
	if f.Pending == 0 || f.Pending != msg.ID {
		return false
	}
	f.Pending = 0
	if msg.Err != nil {
		f.SaveErr = "Not saved: " + msg.Err.Error()
		return false
	}
	return true
}
