package common

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio"
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

// Handle does what a key asks of the form (see Key): cancel closes it,
// submit checks and saves it and returns the save's command.
func (f *Fields) Handle(km *keys.KeyMap, msg tea.KeyMsg, cancel func(), submit func() tea.Cmd) tea.Cmd {
	act, cmd := f.Key(km, msg)
	switch act {
	case FieldsCancel:
		cancel()
	case FieldsSubmit:
		cmd = submit()
	}
	return cmd
}

// Save asks the root to save next, described as desc for the undo
// history, unless edits are blocked now (SaveErr then says why).
func (f *Fields) Save(c *Context, next *portfolio.Portfolio, desc string) tea.Cmd {
	if why := c.EditBlocked(); why != "" {
		f.SaveErr = why
		return nil
	}
	f.Pending = c.NextID()
	return RequestSave(f.Pending, next, desc)
}

// Row is field i's line: the cursor when it has the keyboard, its label
// padded to labelW, the field in brackets.
func (f *Fields) Row(p Paints, i, labelW int, label string) string {
	cursor := "  "
	if i == f.Focus {
		cursor = p.Strong.Render("> ")
	}
	return cursor + fmt.Sprintf("%-*s  ", labelW, label) + "[" + f.Inputs[i].View() + "]"
}

// Footer is what the form says under its fields: why the last save
// failed, wrapped to w, and that a save is under way.
func (f *Fields) Footer(p Paints, w int) []string {
	var out []string
	if f.SaveErr != "" {
		for _, l := range Wrap(f.SaveErr, w, "") {
			out = append(out, p.Error.Render(l))
		}
	}
	if f.Pending != 0 {
		out = append(out, p.Muted.Render("Saving…"))
	}
	return out
}
