// Package tui is hardfolio's full-screen terminal interface: a small root
// model that owns the tabs, the status line, the help overlay, the
// valuation unit and the undo history, and one model per screen
// (dashboard, holdings, wallets, devices, analysis, stress, Monte Carlo,
// rebalance, and the tabs later versions fill).
//
// Screens share a common.Context (size, styles, keymap, clock, book and
// the current valuation snapshot). Work that touches the disk or values the
// portfolio runs in tea.Cmds; Update lays out and View only returns what
// Update rendered.
package tui

import (
	"errors"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	xterm "github.com/charmbracelet/x/term"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui/analysis"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/dashboard"
	"codeberg.org/hardfolio/hardfolio/tui/devices"
	"codeberg.org/hardfolio/hardfolio/tui/holdings"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/montecarlo"
	"codeberg.org/hardfolio/hardfolio/tui/rebalance"
	"codeberg.org/hardfolio/hardfolio/tui/stress"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
)

// Options configure the interface.
type Options struct {
	// Book is the open portfolio; required.
	Book *book.Book
	// Now is the clock price ages and valuations are measured against;
	// nil means time.Now.
	Now func() time.Time
	// Unit is the valuation unit to start in; "" means the portfolio's
	// default.
	Unit portfolio.Unit
	// Theme is "dark", "light" or "auto" (""): auto reads COLORFGBG and
	// falls back to dark. The terminal is never asked.
	Theme string
	// ExitAfterFirstFrame draws one frame and exits: for start-up
	// measurements and smoke tests.
	ExitAfterFirstFrame bool
	// Input and Output default to the process's terminal.
	Input  io.Reader
	Output io.Writer
	// Getenv reads the environment (NO_COLOR, COLORFGBG, TERM,
	// COLORTERM); nil means os.Getenv.
	Getenv func(string) string
	// KeyMap replaces the default bindings.
	KeyMap *keys.KeyMap
	// Wallets is where the Wallets screen reads wallet caches and labels,
	// and how it syncs; nil means wallets.DefaultService.
	Wallets *wallets.Service
	// Speculos lists emulator addresses (host:port) the Devices screen
	// lists besides USB devices, such as "hardfolio sim ledger" prints, or
	// device URIs (trezor-udp:HOST:PORT for "hardfolio sim trezor");
	// empty means USB devices only.
	Speculos []string
	// Devices is how the Devices screen reaches hardware wallets; nil
	// means a device.Hub, refreshed every two seconds.
	Devices *devices.Service
	// Notice is a warning shown in the status line at start, such as the
	// demo's simulated device holding a private key.
	Notice string
}

// Run shows the interface until the user quits.
func Run(opts Options) error {
	if opts.Book == nil {
		return errors.New("tui: no portfolio book")
	}
	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	tty := false
	width, height := 0, 0
	if f, ok := out.(interface{ Fd() uintptr }); ok && xterm.IsTerminal(f.Fd()) {
		tty = true
		if w, h, err := xterm.GetSize(f.Fd()); err == nil {
			width, height = w, h
		}
	}
	m := newModel(opts, tty)
	if width <= 0 || height <= 0 {
		width, height = 80, 24
	}
	m.setSize(width, height)
	m.render()

	popts := []tea.ProgramOption{tea.WithOutput(out)}
	if !opts.ExitAfterFirstFrame {
		// A single frame stays on the normal screen: leaving the
		// alternate screen costs bubbletea a 10 ms pause, and the frame
		// stays visible after the exit.
		popts = append(popts, tea.WithAltScreen(), tea.WithMouseCellMotion())
	}
	switch {
	case opts.Input != nil:
		popts = append(popts, tea.WithInput(opts.Input))
	case opts.ExitAfterFirstFrame:
		// One frame needs no keyboard: do not open the terminal for input.
		popts = append(popts, tea.WithInput(nil))
	}
	_, err := tea.NewProgram(m, popts...).Run()
	return err
}

// walletService is the Wallets screen's service: the given one, or the
// default one signing on the devices a hub finds (USB and the emulators).
func walletService(s *wallets.Service, speculos []string) wallets.Service {
	if s == nil {
		svc := wallets.DefaultService()
		svc.OpenSigner = wallets.HubSigner(device.NewHub(), speculos)
		svc.OpenSignerPrompted = wallets.HubSignerPrompted(device.NewHub(), speculos)
		return svc
	}
	return *s
}

// deviceService is the Devices screen's service: the given one or a
// device hub's, reading wallets' next receive addresses as the Wallets
// screen's service does.
func deviceService(s *devices.Service, w wallets.Service) devices.Service {
	var svc devices.Service
	if s != nil {
		svc = *s
	}
	if svc.NextReceive == nil {
		svc.NextReceive = w.NextReceive
	}
	return svc
}

// New returns the root model, for tests and for embedding in another
// program. The styles assume a colour terminal unless the environment
// says otherwise (NO_COLOR, TERM=dumb).
func New(opts Options) *Model {
	return newModel(opts, true)
}

func newModel(opts Options, tty bool) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	theme, err := ParseTheme(opts.Theme)
	if err != nil {
		theme = ThemeAuto
	}
	dark := darkBackground(theme, getenv)
	profile, mono := colorProfile(getenv, tty)
	st := styles.New(styles.NewRenderer(io.Discard, profile, dark), dark, mono)
	km := opts.KeyMap
	if km == nil {
		km = keys.DefaultKeyMap()
	}

	b := opts.Book
	p := b.Portfolio()
	unit := opts.Unit
	if unit == "" {
		unit = p.DefaultUnit()
	}
	ctx := &common.Context{
		Styles: st,
		Keys:   km,
		Now:    opts.Now,
		Book:   b,
		Demo:   b.Demo(),
		// The first snapshot is built here, before the program starts,
		// so the first frame already shows the portfolio.
		Snap: common.BuildSnapshot(p, unit, opts.Now()),
	}
	ctx.ReadOnly, ctx.ReadOnlyReason = b.ReadOnly()

	wsvc := walletService(opts.Wallets, opts.Speculos)
	dash := dashboard.New(ctx)
	dash.Created = b.Created()
	m := &Model{
		ctx:      ctx,
		opts:     opts,
		wantUnit: unit,
		screens: []common.Screen{
			dash,
			holdings.New(ctx),
			wallets.New(ctx, wsvc),
			devices.New(ctx, deviceService(opts.Devices, wsvc), opts.Speculos),
			analysis.New(ctx),
			stress.New(ctx),
			montecarlo.New(ctx),
			rebalance.New(ctx),
		},
	}
	if opts.Notice != "" {
		m.status, m.statusLevel = opts.Notice, common.Warn
	}
	// Screens lay out when first shown (see sync).
	m.seen = make([]screenState, len(m.screens))
	m.initHelp()
	m.initPrompt()
	return m
}
