package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// termPrompter answers a device's questions at the terminal: the Trezor
// PIN as positions on its scrambled keypad, the passphrase, and "confirm
// on the device" notices. Secrets are read without echo on a terminal, as
// a line from stdin otherwise.
type termPrompter struct {
	in  io.Reader
	out io.Writer

	once sync.Once
	r    *bufio.Reader

	mu   sync.Mutex
	last string
}

func newTermPrompter(in io.Reader, out io.Writer) *termPrompter {
	return &termPrompter{in: in, out: out}
}

// readSecret reads one line, without echo when stdin is a terminal.
func (p *termPrompter) readSecret(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	if f, ok := p.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.out)
		return string(b), err
	}
	p.once.Do(func() { p.r = bufio.NewReader(p.in) })
	line, err := p.r.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", fmt.Errorf("no answer on stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// PIN shows the keypad layout: the device shows its digits shuffled on the
// same grid, and the user types the positions of the PIN's digits.
func (p *termPrompter) PIN(ctx context.Context) (string, error) {
	fmt.Fprint(p.out, "hardfolio: the Trezor shows its PIN keypad with the digits shuffled.\n"+
		"  Type, for each digit of your PIN, its position on this grid:\n"+
		"    7 8 9\n    4 5 6\n    1 2 3\n")
	s, err := p.readSecret("  PIN positions: ")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// Passphrase asks for the wallet passphrase; "!" alone chooses entry on
// the device when it can take it.
func (p *termPrompter) Passphrase(ctx context.Context, onDeviceOK bool) (string, bool, error) {
	prompt := "hardfolio: Trezor passphrase (empty for none): "
	if onDeviceOK {
		prompt = "hardfolio: Trezor passphrase (empty for none, ! alone to type it on the device): "
	}
	s, err := p.readSecret(prompt)
	if err != nil {
		return "", false, err
	}
	if onDeviceOK && s == "!" {
		return "", true, nil
	}
	return s, false, nil
}

// Confirm says once per kind of screen that the device waits for the user.
func (p *termPrompter) Confirm(ctx context.Context, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if what == p.last {
		return
	}
	p.last = what
	fmt.Fprintf(p.out, "hardfolio: confirm the %s on your Trezor\n", what)
}
