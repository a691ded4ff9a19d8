// Package devprompt answers a hardware wallet's questions inside the
// terminal interface: the Trezor PIN on a drawn 3x3 keypad (the user types
// positions, the device alone knows which digit is where), the wallet
// passphrase, and the "confirm on your Trezor" state while the device
// waits for the user.
//
// A screen that talks to devices owns a Prompter (a device.Prompter for
// its hub) and a Model (what it draws). The device exchange runs in a
// command; when the device asks, the Prompter sends a Msg to the owning
// screen (common.Owned) and waits for the Model's answer. The screen keeps
// a Listen command running while its device operation runs.
package devprompt

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// ErrCancelled is the answer when the user leaves a prompt with esc.
var ErrCancelled = errors.New("cancelled at the prompt")

// Kind is what a request asks.
type Kind int

// The kinds of request.
const (
	PIN Kind = iota + 1
	Passphrase
	Confirm
)

type answer struct {
	text     string
	onDevice bool
	err      error
}

type request struct {
	kind       Kind
	what       string // Confirm: what the device shows
	onDeviceOK bool
	reply      chan answer // nil for Confirm
}

// Msg is a request of a device, for the screen that owns the Prompter.
type Msg struct {
	owner string
	req   *request
}

// Owner names the screen the message belongs to.
func (m Msg) Owner() string { return m.owner }

// Prompter implements device.Prompter for one screen.
type Prompter struct {
	owner string
	reqs  chan *request
}

// New returns a Prompter whose messages go to the screen titled owner.
func New(owner string) *Prompter {
	return &Prompter{owner: owner, reqs: make(chan *request, 4)}
}

// Listen waits for the next request until ctx ends (then it returns nil).
func (p *Prompter) Listen(ctx context.Context) tea.Cmd {
	return func() tea.Msg {
		select {
		case r := <-p.reqs:
			return Msg{owner: p.owner, req: r}
		case <-ctx.Done():
			return nil
		}
	}
}

func (p *Prompter) ask(ctx context.Context, r *request) (answer, error) {
	r.reply = make(chan answer, 1)
	select {
	case p.reqs <- r:
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
	select {
	case a := <-r.reply:
		return a, a.err
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
}

// PIN asks the user for the keypad positions of the PIN's digits.
func (p *Prompter) PIN(ctx context.Context) (string, error) {
	a, err := p.ask(ctx, &request{kind: PIN})
	return a.text, err
}

// Passphrase asks for the wallet passphrase.
func (p *Prompter) Passphrase(ctx context.Context, onDeviceOK bool) (string, bool, error) {
	a, err := p.ask(ctx, &request{kind: Passphrase, onDeviceOK: onDeviceOK})
	return a.text, a.onDevice, err
}

// Confirm tells the screen the device waits for the user; it never
// blocks.
func (p *Prompter) Confirm(ctx context.Context, what string) {
	select {
	case p.reqs <- &request{kind: Confirm, what: what}:
	default:
	}
}

// Model is the prompt a screen draws: nothing, a PIN keypad, a passphrase
// field, or the confirmation notice.
type Model struct {
	req     *request
	typed   []byte
	confirm string
}

// Open takes a request from a Msg.
func (m *Model) Open(msg Msg) {
	if msg.req.kind == Confirm {
		m.confirm = msg.req.what
		return
	}
	m.Cancel() // a request still open is superseded
	m.req, m.typed = msg.req, nil
}

// Active reports whether the user is asked to type something.
func (m *Model) Active() bool { return m.req != nil }

// Kind returns what the open prompt asks, or 0.
func (m *Model) Kind() Kind {
	if m.req == nil {
		return 0
	}
	return m.req.kind
}

// Confirming returns what the device waits to have confirmed, or "".
func (m *Model) Confirming() string { return m.confirm }

// Typed returns how many characters were typed into the open prompt.
func (m *Model) Typed() int { return len(m.typed) }

// Reset forgets everything, answering an open prompt with ErrCancelled:
// for when the screen's device operation ends.
func (m *Model) Reset() {
	m.Cancel()
	m.confirm = ""
}

// Cancel answers the open prompt with ErrCancelled.
func (m *Model) Cancel() {
	if m.req != nil {
		m.req.reply <- answer{err: ErrCancelled}
		m.req, m.typed = nil, nil
	}
}

func (m *Model) answer(a answer) {
	m.req.reply <- a
	m.req, m.typed = nil, nil
}

// Key handles a key while a prompt is open: digits 1-9 on the keypad
// (at most 50), any printable text for the passphrase, backspace, enter
// to send, esc to cancel. It reports whether it used the key.
func (m *Model) Key(msg tea.KeyMsg, km *keys.KeyMap) bool {
	if m.req == nil {
		return false
	}
	switch {
	case key.Matches(msg, km.Cancel):
		m.Cancel()
	case key.Matches(msg, km.Accept):
		if m.req.kind == PIN && len(m.typed) == 0 {
			return true
		}
		if m.req.kind == Passphrase && m.req.onDeviceOK && string(m.typed) == "!" {
			m.answer(answer{onDevice: true})
			return true
		}
		m.answer(answer{text: string(m.typed)})
	case msg.Type == tea.KeyBackspace:
		if n := len(m.typed); n > 0 {
			m.typed = m.typed[:n-1]
		}
	case msg.Type == tea.KeyRunes || msg.Type == tea.KeySpace:
		for _, r := range msg.Runes {
			switch {
			case m.req.kind == PIN && r >= '1' && r <= '9' && len(m.typed) < 50:
				m.typed = append(m.typed, byte(r))
			case m.req.kind == Passphrase && r >= ' ' && r < 0x7f && len(m.typed) < 50:
				m.typed = append(m.typed, byte(r))
			}
		}
		if msg.Type == tea.KeySpace && m.req.kind == Passphrase && len(m.typed) < 50 {
			m.typed = append(m.typed, ' ')
		}
	}
	return true
}

// View draws the prompt, one string per line; vendor names the device.
//
// The PIN keypad shows positions only, as the device's grid is laid out:
//
//	┌───┬───┬───┐
//	│ 7 │ 8 │ 9 │
//	├───┼───┼───┤
//	│ 4 │ 5 │ 6 │
//	├───┼───┼───┤
//	│ 1 │ 2 │ 3 │
//	└───┴───┴───┘
func (m *Model) View(st *styles.Styles, km *keys.KeyMap, vendor string) []string {
	var out []string
	switch m.Kind() {
	case PIN:
		out = append(out,
			st.Text.Title.Render("Enter the PIN of your "+vendor),
			st.Text.Normal.Render("The device shows the digits 1 to 9 shuffled on a 3x3 grid. For each digit"),
			st.Text.Normal.Render("of your PIN, type the number of its place on this keypad:"),
			"")
		for i, row := range []string{"789", "456", "123"} {
			if i == 0 {
				out = append(out, "   "+st.Text.Muted.Render("┌───┬───┬───┐"))
			} else {
				out = append(out, "   "+st.Text.Muted.Render("├───┼───┼───┤"))
			}
			cells := []string{}
			for _, c := range row {
				cells = append(cells, " "+st.Text.Strong.Render(string(c))+" ")
			}
			bar := st.Text.Muted.Render("│")
			out = append(out, "   "+bar+strings.Join(cells, bar)+bar)
		}
		out = append(out, "   "+st.Text.Muted.Render("└───┴───┴───┘"), "",
			st.Text.Normal.Render("PIN: ")+st.Form.Input.Render(strings.Repeat("•", len(m.typed))+" "),
			st.Text.Muted.Render(km.Accept.Help().Key+" sends, "+km.Cancel.Help().Key+" cancels; the PIN itself never reaches this computer"))
	case Passphrase:
		out = append(out,
			st.Text.Title.Render("Passphrase of your "+vendor),
			st.Text.Normal.Render("Type the wallet passphrase (empty for none); a different passphrase opens another wallet."),
		)
		if m.req.onDeviceOK {
			out = append(out, st.Text.Normal.Render("Type ! alone to enter it on the device instead."))
		}
		out = append(out, "",
			st.Text.Normal.Render("Passphrase: ")+st.Form.Input.Render(strings.Repeat("•", len(m.typed))+" "),
			st.Text.Muted.Render(km.Accept.Help().Key+" sends, "+km.Cancel.Help().Key+" cancels"))
	default:
		if m.confirm != "" {
			out = append(out, st.Text.Warn.Render("Confirm the "+m.confirm+" on your "+vendor+"."))
		}
	}
	return out
}
