package devprompt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// next runs the Listen command, as the program would.
func next(t *testing.T, p *Prompter) Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msg, ok := p.Listen(ctx)().(Msg)
	if !ok {
		t.Fatal("no request")
	}
	if msg.Owner() != "Devices" {
		t.Fatalf("owner %q", msg.Owner())
	}
	return msg
}

func TestPINKeypad(t *testing.T) {
	p, km := New("Devices"), keys.DefaultKeyMap()
	got := make(chan string, 1)
	go func() {
		pin, err := p.PIN(context.Background())
		if err != nil {
			pin = "error: " + err.Error()
		}
		got <- pin
	}()
	var m Model
	m.Open(next(t, p))
	if !m.Active() || m.Kind() != PIN {
		t.Fatal("no PIN prompt")
	}
	m.Key(runes("70"), km) // 0 is not a keypad position
	m.Key(runes("39"), km)
	m.Key(tea.KeyMsg{Type: tea.KeyBackspace}, km)
	if m.Typed() != 2 {
		t.Fatalf("typed %d", m.Typed())
	}
	view := ansi.Strip(strings.Join(m.View(styles.DefaultStyles(true), km, "Trezor"), "\n"))
	for _, want := range []string{"│ 7 │ 8 │ 9 │", "│ 4 │ 5 │ 6 │", "│ 1 │ 2 │ 3 │", "PIN: ••"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "73") {
		t.Error("the view shows what was typed")
	}
	m.Key(tea.KeyMsg{Type: tea.KeyEnter}, km)
	if pin := <-got; pin != "73" {
		t.Fatalf("PIN %q", pin)
	}
	if m.Active() {
		t.Fatal("prompt still open")
	}
}

func TestCancelAndPassphrase(t *testing.T) {
	p, km := New("Devices"), keys.DefaultKeyMap()
	errc := make(chan error, 1)
	go func() { _, err := p.PIN(context.Background()); errc <- err }()
	var m Model
	m.Open(next(t, p))
	m.Key(tea.KeyMsg{Type: tea.KeyEsc}, km)
	if err := <-errc; !errors.Is(err, ErrCancelled) {
		t.Fatalf("esc: %v", err)
	}

	type pass struct {
		text     string
		onDevice bool
	}
	got := make(chan pass, 1)
	ask := func(onDeviceOK bool) {
		go func() {
			s, d, _ := p.Passphrase(context.Background(), onDeviceOK)
			got <- pass{s, d}
		}()
		m.Open(next(t, p))
	}
	ask(false)
	m.Key(runes("TREZOR"), km)
	m.Key(tea.KeyMsg{Type: tea.KeySpace}, km)
	m.Key(runes("!"), km)
	m.Key(tea.KeyMsg{Type: tea.KeyEnter}, km)
	if g := <-got; g.text != "TREZOR !" || g.onDevice {
		t.Fatalf("passphrase %+v", g)
	}
	ask(true)
	m.Key(runes("!"), km)
	m.Key(tea.KeyMsg{Type: tea.KeyEnter}, km)
	if g := <-got; !g.onDevice {
		t.Fatalf("on device: %+v", g)
	}

	// Confirm never blocks, and is shown until Reset.
	p.Confirm(context.Background(), "address")
	m.Open(next(t, p))
	if m.Confirming() != "address" || m.Active() {
		t.Fatal("confirm state")
	}
	view := ansi.Strip(strings.Join(m.View(styles.DefaultStyles(true), km, "Trezor"), "\n"))
	if view != "Confirm the address on your Trezor." {
		t.Fatalf("view %q", view)
	}
	m.Reset()
	if m.Confirming() != "" {
		t.Fatal("not reset")
	}

	// A request whose context ends is given up.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.PIN(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
	if msg := p.Listen(ctx)(); msg != nil {
		// the request may have been queued before ctx was seen; Listen on
		// an ended context returns nothing or that stale request
		if _, ok := msg.(Msg); !ok {
			t.Fatalf("Listen: %#v", msg)
		}
	}
}
