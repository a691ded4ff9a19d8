package main

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
)

// Environment variables that set the interface's options when the command
// has no flag for them (the bare `hardfolio`).
const (
	envTheme               = "HARDFOLIO_THEME"
	envExitAfterFirstFrame = "HARDFOLIO_EXIT_AFTER_FIRST_FRAME"
)

func newDemoCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Open the TUI on the embedded demo portfolio (writes nothing)",
		Long: `Open the terminal interface on the embedded demo portfolio: a saver with
bitcoin on a hardware wallet, gold at home and in a vault, gold ETFs and cash
in three currencies. Edits work but stay in memory; nothing is written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTUI(cmd, g, true) },
	}
	addTUIFlags(cmd.Flags())
	return cmd
}

// addTUIFlags registers the interface's flags on fs: --theme, --unit and
// the hidden --exit-after-first-frame. The root and demo commands have
// them; runTUI looks them up by name on whichever command runs, and falls
// back to HARDFOLIO_THEME and HARDFOLIO_EXIT_AFTER_FIRST_FRAME.
func addTUIFlags(fs *pflag.FlagSet) {
	fs.String("theme", tui.ThemeAuto, "colours for a dark or light terminal: dark, light or auto (from COLORFGBG, else dark)")
	fs.String("unit", "", "valuation unit to start in: a currency (USD, EUR, CHF...), XAU, BTC or sats (default: the portfolio's)")
	fs.StringSlice("speculos", nil, "device emulators (host:port of a Speculos APDU port, or hardfolio sim ledger) for the Devices screen")
	fs.Bool("exit-after-first-frame", false, "draw one frame and exit (start-up checks)")
	_ = fs.MarkHidden("exit-after-first-frame")
}

// runTUI opens the portfolio (or the demo) and runs the interface on it.
func runTUI(cmd *cobra.Command, g *globals, demo bool) error {
	opts, err := tuiOptions(cmd)
	if err != nil {
		return err
	}
	var b *book.Book
	if demo {
		b = book.OpenDemo(g.now())
		if !opts.ExitAfterFirstFrame {
			// The demo brings a simulated Ledger, so the Devices screen
			// can import an account and verify an address without
			// hardware. It listens on loopback only and is created off
			// the start-up path (its seed takes a few milliseconds).
			addr, stop, err := startDemoDevice()
			if err != nil {
				return err
			}
			defer stop()
			opts.Speculos = append(opts.Speculos, addr)
			opts.Notice = "Demo device " + addr + ": " + simledger.Warning
		}
	} else {
		if b, err = g.openBook(); err != nil {
			return err
		}
		defer b.Close()
	}
	opts.Book = b
	opts.Now = g.now
	opts.Output = cmd.OutOrStdout()
	return tui.Run(opts)
}

// tuiOptions reads the interface's options: a flag given on the command
// line wins, then its environment variable, then the flag's default.
func tuiOptions(cmd *cobra.Command) (tui.Options, error) {
	var opts tui.Options
	lookup := func(name, env string) string {
		f := cmd.Flags().Lookup(name)
		if f != nil && f.Changed {
			return f.Value.String()
		}
		if v := os.Getenv(env); env != "" && v != "" {
			return v
		}
		if f != nil {
			return f.Value.String()
		}
		return ""
	}
	theme, err := tui.ParseTheme(lookup("theme", envTheme))
	if err != nil {
		return opts, err
	}
	opts.Theme = theme
	if u := lookup("unit", ""); u != "" {
		unit, err := portfolio.ParseUnit(u)
		if err != nil {
			return opts, fmt.Errorf("--unit: %w", err)
		}
		opts.Unit = unit
	}
	if v := lookup("exit-after-first-frame", envExitAfterFirstFrame); v != "" {
		exit, err := strconv.ParseBool(v)
		if err != nil {
			return opts, fmt.Errorf("exit after first frame: %q is not true or false", v)
		}
		opts.ExitAfterFirstFrame = exit
	}
	if f := cmd.Flags().Lookup("speculos"); f != nil {
		if addrs, err := cmd.Flags().GetStringSlice("speculos"); err == nil {
			opts.Speculos = addrs
		}
	}
	return opts, nil
}

// startDemoDevice serves a simulated Ledger (testnet app, Speculos' default
// seed) on a free loopback port and returns its address and a stop
// function.
func startDemoDevice() (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo device: %w", err)
	}
	ready := make(chan *simledger.Device, 1)
	go func() {
		dev, _, err := simledger.New(simledger.Options{Network: &chaincfg.TestNet3Params})
		if err != nil {
			ln.Close()
			ready <- nil
			return
		}
		ready <- dev
		dev.Serve(ln)
	}()
	return ln.Addr().String(), func() {
		if dev := <-ready; dev != nil {
			dev.Close()
		}
	}, nil
}
