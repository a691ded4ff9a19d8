package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
	"codeberg.org/hardfolio/hardfolio/wallet/demo"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
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
	fs.StringSlice("trezor-udp", nil, "Trezor emulators (host:port of the emulator's UDP port, or hardfolio sim trezor) for the Devices screen")
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
			svc, err := demoWallets(b, opts.Speculos)
			if err != nil {
				return err
			}
			opts.Wallets = svc
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
	speculos, _ := cmd.Flags().GetStringSlice("speculos")
	trezorUDP, _ := cmd.Flags().GetStringSlice("trezor-udp")
	opts.Speculos = emulatorURIs(speculos, trezorUDP)
	return opts, nil
}

// The demo's wallet: the simulated Ledger's BIP 84 account (Speculos'
// public seed, testnet app), funded on the demo's in-memory chain with
// the two purchases of the demo's Ledger holding, which takes its
// balance.
const (
	demoWalletID   = "ledger-f5acc2fd-84-0"
	demoDescriptor = "wpkh([f5acc2fd/84h/1h/0h]tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P/<0;1>/*)"
	demoHolding    = "btc-ledger"
)

var demoPayments = []demo.Payment{
	{Sats: 75_000_000, Index: 0, Time: time.Date(2019, 3, 14, 9, 30, 0, 0, time.UTC)},
	{Sats: 50_000_000, Index: 1, Time: time.Date(2022, 11, 21, 17, 5, 0, 0, time.UTC)},
}

// demoWallets adds the demo wallet to the demo book (in memory, like
// every demo edit) and returns the Wallets screen's service for the demo:
// every wallet syncs from, and broadcasts to, the in-memory demo chain,
// states stay in memory, and signing finds the simulated device. Nothing
// reaches a network or the user's files.
func demoWallets(b *book.Book, speculos []string) (*wallets.Service, error) {
	cfg := portfolio.WalletConfig{ID: demoWalletID, Name: "Ledger (demo device), wpkh account 0",
		Descriptor: demoDescriptor, Network: "testnet"}
	w, err := service.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("demo wallet: %w", err)
	}
	cfg.Descriptor = w.Descriptor.String()
	p, err := b.Portfolio().WithWallet(cfg, false)
	if err != nil {
		return nil, fmt.Errorf("demo wallet: %w", err)
	}
	if i := p.HoldingIndex(demoHolding); i >= 0 {
		p.Holdings[i].Wallet = cfg.ID
	}
	if err := b.Save(p); err != nil {
		return nil, fmt.Errorf("demo wallet: %w", err)
	}
	var once sync.Once
	var mem *chaintest.Memory
	var memErr error
	src := func() chain.Source {
		once.Do(func() { mem, memErr = demo.NewChain(w.Descriptor, demoPayments) })
		if memErr != nil {
			panic("demo chain: " + memErr.Error()) // fixed data: a bug
		}
		return mem.Source()
	}
	svc := wallets.MemoryService(demo.Name, src)
	svc.OpenSigner = wallets.HubSigner(device.NewHub(), speculos)
	return &svc, nil
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
		dev, _, err := simledger.New(simledger.Options{Network: &chaincfg.TestNet3Params, Confirm: demoUser})
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

// demoUser stands for the demo's user at the simulated device: they take
// two seconds to read each screen, then approve. The screen shows meanwhile
// what the device waits for, and esc cancels.
func demoUser(ctx context.Context, _ simledger.Screen) bool {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
