package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// newWalletCmd is "hardfolio wallet": watch-only bitcoin wallets kept in the
// portfolio's [[wallet]] entries, synced from the user's own server or node.
// The work is done by package wallet/service, which the terminal interface
// calls too.
func newWalletCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "wallet",
		Aliases: []string{"wallets"},
		Short:   "Watch-only bitcoin wallets: addresses, sync, balance, PSBTs",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(
		newWalletAddressesCmd(),
		newWalletAddCmd(g),
		newWalletListCmd(g),
		newWalletRmCmd(g),
		newWalletSyncCmd(g),
		newWalletBalanceCmd(g),
		newWalletUTXOsCmd(g),
		newWalletHistoryCmd(g),
		newWalletReceiveCmd(g),
		newWalletSendCmd(g),
		newWalletSignCmd(g),
		newWalletExportCmd(g),
		newWalletPSBTCmd(),
		newWalletBroadcastCmd(g),
		newWalletLabelsCmd(g),
	)
	return cmd
}

// walletConfig opens the portfolio read-only and returns the wallet id's
// configuration, or an error naming the portfolio file and the wallet.
func (g *globals) walletConfig(cmd *cobra.Command, id string) (portfolio.WalletConfig, error) {
	b, err := g.open(cmd)
	if err != nil {
		return portfolio.WalletConfig{}, err
	}
	defer b.Close()
	w := b.Portfolio().WalletConfig(id)
	if w == nil {
		return portfolio.WalletConfig{}, fmt.Errorf("%s: no wallet with ID %q (see: hardfolio wallet list)", b.Path(), id)
	}
	return *w, nil
}

// cachedState reads the cached state of wallet id; a discarded cache and a
// wallet never synced are noted on the error stream.
func (g *globals) cachedState(cmd *cobra.Command, id string) (portfolio.WalletConfig, *wallet.State, error) {
	cfg, err := g.walletConfig(cmd, id)
	if err != nil {
		return cfg, nil, err
	}
	st, warning, err := service.LoadState(cfg)
	if err != nil {
		return cfg, nil, err
	}
	if warning != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: warning: %v\n", warning)
	}
	if st.Tip().Height == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: wallet %s was never synced: run hardfolio wallet sync %s\n", id, id)
	}
	return cfg, st, nil
}

// signalContext is a context cancelled by an interrupt (Ctrl-C).
func signalContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt)
}

func (g *globals) completeWalletIDs(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	b, err := g.openBook()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer b.Close()
	var out []string
	for _, w := range b.Portfolio().Wallets {
		out = append(out, w.ID+"\t"+w.Name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// ---- addresses ----

type addressJSON struct {
	Index   uint32 `json:"index"`
	Change  bool   `json:"change"`
	Address string `json:"address"`
	Path    string `json:"path"`
}

type addressesJSON struct {
	Descriptor string        `json:"descriptor"`
	Network    string        `json:"network"`
	Addresses  []addressJSON `json:"addresses"`
}

func newWalletAddressesCmd() *cobra.Command {
	var desc, network string
	var change, asJSON bool
	var from, count uint32
	cmd := &cobra.Command{
		Use:   "addresses --descriptor D [--network N] [--change] [--from I] [--count N]",
		Short: "Derive addresses of a descriptor (offline)",
		Long: `Derive addresses of an output descriptor, offline and without a portfolio:
to check a hardware wallet's addresses, or what a descriptor describes,
before adding it.`,
		Example: `  hardfolio wallet addresses --descriptor "wpkh([73c5da0a/84h/0h/0h]xpub.../<0;1>/*)" --count 5`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := descriptor.ParseNetwork(network)
			if err != nil {
				return fmt.Errorf("--network: %w", err)
			}
			if count == 0 || count > 10000 {
				return fmt.Errorf("--count: must be from 1 to 10000, got %d", count)
			}
			var out addressesJSON
			if descriptor.IsMultisig(desc) {
				if out, err = multisigAddresses(desc, n, change, from, count); err != nil {
					return err
				}
			} else {
				d, err := descriptor.Parse(strings.TrimSpace(desc), n)
				if err != nil {
					return fmt.Errorf("--descriptor: %w", err)
				}
				if change && !d.HasChange() {
					return errors.New("--change: the descriptor has no change chain (no /<0;1>/* step)")
				}
				ds, err := d.DeriveRange(change, from, count)
				if err != nil {
					return err
				}
				out = addressesJSON{Descriptor: d.String(), Network: n.String(), Addresses: []addressJSON{}}
				for _, a := range ds {
					out.Addresses = append(out.Addresses, addressJSON{Index: a.Index, Change: a.Change, Address: a.Address, Path: a.Origin.String()})
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			t := newTable("INDEX", "ADDRESS", "PATH").alignRight(0)
			for _, a := range out.Addresses {
				t.add(fmt.Sprint(a.Index), a.Address, a.Path)
			}
			t.write(cmd.OutOrStdout(), "")
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&desc, "descriptor", "", "output descriptor (BIP 380; checksum optional)")
	fs.StringVar(&network, "network", "mainnet", "network: mainnet, testnet, signet or regtest")
	fs.BoolVar(&change, "change", false, "derive from the change chain")
	fs.Uint32Var(&from, "from", 0, "first index")
	fs.Uint32Var(&count, "count", 10, "number of addresses")
	fs.BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	_ = cmd.MarkFlagRequired("descriptor")
	_ = cmd.RegisterFlagCompletionFunc("network", fixedCompletion(portfolio.WalletNetworks...))
	return cmd
}

// multisigAddresses is "wallet addresses" for a multisig descriptor: each
// address's path is every cosigner's, comma-separated.
func multisigAddresses(desc string, n descriptor.Network, change bool, from, count uint32) (addressesJSON, error) {
	m, err := descriptor.ParseMultisig(strings.TrimSpace(desc), n)
	if err != nil {
		return addressesJSON{}, fmt.Errorf("--descriptor: multisig: %w", err)
	}
	ds, err := m.DeriveRange(change, from, count)
	if err != nil {
		return addressesJSON{}, err
	}
	out := addressesJSON{Descriptor: m.String(), Network: n.String(), Addresses: []addressJSON{}}
	for _, a := range ds {
		var paths []string
		for _, k := range a.Keys {
			paths = append(paths, k.Origin.String())
		}
		out.Addresses = append(out.Addresses, addressJSON{Index: a.Index, Change: a.Change, Address: a.Address, Path: strings.Join(paths, ",")})
	}
	return out, nil
}

// ---- add ----

type walletAddFlags struct {
	id, name, desc, xpub, scriptType, origin, network string
	setupFile                                         string
	birthdayHeight                                    int32
	birthday                                          time.Time
	gapLimit                                          int
	backend, server, proxy                            string
	rpcCookie, rpcUser, rpcPassword                   string
	holding, custodian                                string
}

func newWalletAddCmd(g *globals) *cobra.Command {
	f := &walletAddFlags{}
	cmd := &cobra.Command{
		Use:   "add --id ID (--descriptor D | --xpub X --script-type T | --setup-file FILE) --network N [flags]",
		Short: "Add a watch-only wallet to the portfolio",
		Long: `Add a watch-only wallet: an output descriptor, or an account's extended
public key and script type as a hardware wallet exports them (give --origin,
the account's fingerprint and path, so that PSBTs tell the device which key
signs). A multisig descriptor (wsh, sh(wsh) or sh of multi or sortedmulti,
every key with its origin and /<0;1>/*) makes a multisig wallet; register
it on each cosigner's device with "hw register" to sign; --setup-file reads
one from a BIP 129 (BSMS) record or a Coldcard multisig setup file, whose
first address is checked against the keys. The descriptor is
checked and stored in canonical form with its checksum. --backend and --server say where the wallet syncs from.

--holding links a BTC holding, whose quantity then comes from the wallet's
last sync; when no holding has that ID, a BTC holding is created at
--custodian.`,
		Example: `  hardfolio wallet add --id cold --xpub zpub6r... --script-type wpkh --origin 73c5da0a/84h/0h/0h --network mainnet \
      --backend electrum --server ssl://electrum.local:50002 --holding btc-cold --custodian ledger
  hardfolio wallet add --id node --descriptor "tr([...]xpub.../<0;1>/*)#..." --network mainnet \
      --backend node --server http://127.0.0.1:8332 --rpc-cookie ~/.bitcoin/.cookie
  hardfolio wallet add --id vault --network mainnet --backend electrum --server ssl://electrum.local:50002 \
      --descriptor "wsh(sortedmulti(2,[f5acc2fd/48h/0h/0h/2h]xpub.../<0;1>/*,[73c5da0a/48h/0h/0h/2h]xpub.../<0;1>/*,[...]xpub.../<0;1>/*))"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.demo {
				return book.ErrDemo
			}
			fs := cmd.Flags()
			if strings.TrimSpace(f.id) == "" {
				return errors.New("--id is required")
			}
			n, err := descriptor.ParseNetwork(f.network)
			if err != nil {
				return fmt.Errorf("--network: %w", err)
			}
			var canonical string
			switch {
			case fs.Changed("setup-file") && (fs.Changed("descriptor") || fs.Changed("xpub")):
				return errors.New("give --setup-file, --descriptor or --xpub, only one")
			case fs.Changed("setup-file"):
				m, name, err := readSetupFile(f.setupFile, n)
				if err != nil {
					return fmt.Errorf("wallet %q: --setup-file: %w", f.id, err)
				}
				if f.name == "" {
					f.name = name
				}
				canonical = m.String()
			case fs.Changed("descriptor") && fs.Changed("xpub"):
				return errors.New("give --descriptor or --xpub, not both")
			case fs.Changed("descriptor"):
				if fs.Changed("script-type") || fs.Changed("origin") {
					return errors.New("--script-type and --origin go with --xpub; a descriptor carries them")
				}
				text := strings.TrimSpace(f.desc)
				if descriptor.IsMultisig(text) {
					m, err := descriptor.ParseMultisig(text, n)
					if err != nil {
						return fmt.Errorf("wallet %q: --descriptor: multisig: %w", f.id, err)
					}
					canonical = m.String()
					break
				}
				d, err := descriptor.Parse(text, n)
				if err != nil {
					return fmt.Errorf("wallet %q: --descriptor: %w", f.id, err)
				}
				canonical = d.String()
			case fs.Changed("xpub"):
				typ, err := descriptor.ParseScriptType(f.scriptType)
				if err != nil {
					return fmt.Errorf("--script-type: %w", err)
				}
				var origin *descriptor.KeyOrigin
				if f.origin != "" {
					o, err := descriptor.ParseKeyOrigin(f.origin)
					if err != nil {
						return fmt.Errorf("--origin: %w", err)
					}
					origin = &o
				}
				d, err := descriptor.FromXpub(strings.TrimSpace(f.xpub), typ, origin, n)
				if err != nil {
					return fmt.Errorf("wallet %q: --xpub: %w", f.id, err)
				}
				canonical = d.String()
			default:
				return errors.New("give --descriptor, --xpub with --script-type, or --setup-file")
			}
			w := portfolio.WalletConfig{
				ID: strings.TrimSpace(f.id), Name: f.name, Descriptor: canonical, Network: n.String(),
				BirthdayHeight: f.birthdayHeight, Birthday: f.birthday, GapLimit: f.gapLimit,
				Backend: portfolio.Backend{Kind: f.backend, Server: f.server, Proxy: f.proxy,
					RPCUser: f.rpcUser, RPCPassword: f.rpcPassword, RPCCookie: f.rpcCookie},
			}
			opened, err := service.Open(w)
			if err != nil {
				return err
			}
			if w.Backend.Proxy != "" {
				if _, err := service.ParseProxy(w.Backend.Proxy); err != nil {
					return fmt.Errorf("--proxy: %w", err)
				}
			}

			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			if p.WalletConfig(w.ID) != nil {
				return fmt.Errorf("wallet %q: --id: a wallet with this ID exists already (see: hardfolio wallet list)", w.ID)
			}
			q, err := p.WithWallet(w, false)
			if err != nil {
				return fieldErrorsAsFlags(err, "wallet", w.ID, map[string]string{"backend": "backend", "rpc_cookie": "rpc-cookie"})
			}
			linked := ""
			if f.holding != "" {
				if q, linked, err = linkHolding(q, f.holding, f.custodian, w.ID); err != nil {
					return err
				}
			}
			if err := b.Save(q); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "added wallet %s (%s, %s)\n", w.ID, n, opened.Kind())
			if linked != "" {
				fmt.Fprintln(out, linked)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.id, "id", "", "wallet ID (letters, digits, '-', '_', '.')")
	fs.StringVar(&f.name, "name", "", "a label shown with the wallet")
	fs.StringVar(&f.desc, "descriptor", "", "output descriptor, receive and change as /<0;1>/*")
	fs.StringVar(&f.xpub, "xpub", "", "account extended public key (xpub/ypub/zpub, tpub/upub/vpub)")
	fs.StringVar(&f.setupFile, "setup-file", "", "a multisig wallet's BIP 129 (BSMS) descriptor record or Coldcard setup file, as \"wallet export\" writes them")
	fs.StringVar(&f.scriptType, "script-type", "", "with --xpub: wpkh, sh-wpkh, pkh or tr")
	fs.StringVar(&f.origin, "origin", "", "with --xpub: key origin, fingerprint/path, e.g. 73c5da0a/84h/0h/0h")
	fs.StringVar(&f.network, "network", "", "network: mainnet, testnet, signet or regtest")
	fs.Int32Var(&f.birthdayHeight, "birthday-height", 0, "first block that can hold the wallet's transactions")
	fs.Var(dateFlag{&f.birthday}, "birthday", "date the wallet was created (YYYY-MM-DD); without --birthday-height, scans start from an estimate of that date's block that errs early")
	fs.IntVar(&f.gapLimit, "gap-limit", 0, "unused addresses in a row that end a scan (default 20)")
	fs.StringVar(&f.backend, "backend", "", "where the wallet syncs from: electrum, esplora or node")
	fs.StringVar(&f.server, "server", "", "electrum: tcp:// or ssl://host:port; esplora: base URL; node: RPC URL")
	fs.StringVar(&f.proxy, "proxy", "", "SOCKS5 proxy (Tor), host:port")
	fs.StringVar(&f.rpcCookie, "rpc-cookie", "", "node: the node's .cookie file")
	fs.StringVar(&f.rpcUser, "rpc-user", "", "node: RPC user")
	fs.StringVar(&f.rpcPassword, "rpc-password", "", "node: RPC password")
	fs.StringVar(&f.holding, "holding", "", "BTC holding whose quantity the wallet supplies (created when missing)")
	fs.StringVar(&f.custodian, "custodian", "", "with --holding, when the holding is created: its custodian ID")
	_ = cmd.MarkFlagRequired("network")
	cmd.MarkFlagsMutuallyExclusive("rpc-cookie", "rpc-user")
	cmd.MarkFlagsMutuallyExclusive("rpc-cookie", "rpc-password")
	_ = cmd.RegisterFlagCompletionFunc("network", fixedCompletion(portfolio.WalletNetworks...))
	_ = cmd.RegisterFlagCompletionFunc("backend", fixedCompletion(portfolio.BackendKinds...))
	_ = cmd.RegisterFlagCompletionFunc("script-type", fixedCompletion("wpkh", "sh-wpkh", "pkh", "tr"))
	_ = cmd.RegisterFlagCompletionFunc("custodian", g.completeCustodianIDs)
	return cmd
}

// readSetupFile reads a multisig setup file for network n: a BIP 129
// descriptor record (first line "BSMS 1.0") or a Coldcard multisig setup
// file, whose name it returns too.
func readSetupFile(path string, n descriptor.Network) (*descriptor.Multisig, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	text := string(data)
	if strings.HasPrefix(strings.TrimSpace(text), "BSMS") {
		m, err := descriptor.ParseBSMS(text, n)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return m, "", nil
	}
	m, name, err := descriptor.ParseColdcard(text, n)
	if err != nil {
		return nil, "", fmt.Errorf("%s: not a BSMS record, and as a Coldcard setup file: %w", path, err)
	}
	return m, name, nil
}

// linkHolding points holding id at wallet, creating a BTC holding at
// custodian when there is none with that ID. It returns the new portfolio
// and a line saying what was done.
func linkHolding(p *portfolio.Portfolio, id, custodian, walletID string) (*portfolio.Portfolio, string, error) {
	if i := p.HoldingIndex(id); i >= 0 {
		h := p.Holdings[i]
		if h.Kind != portfolio.KindBTC {
			return nil, "", fmt.Errorf("--holding: holding %q is a %s holding; only BTC holdings take a wallet's balance", id, h.Kind)
		}
		if h.Wallet != "" && h.Wallet != walletID {
			return nil, "", fmt.Errorf("--holding: holding %q takes its balance from wallet %q already", id, h.Wallet)
		}
		h.Wallet = walletID
		q, err := p.WithHolding(h, true)
		if err != nil {
			return nil, "", fmt.Errorf("--holding: %w", err)
		}
		return q, fmt.Sprintf("holding %s now takes its balance from wallet %s", id, walletID), nil
	}
	if custodian == "" {
		return nil, "", fmt.Errorf("--holding: no holding %q: give --custodian to create it (see: hardfolio custodians list)", id)
	}
	h := portfolio.Holding{ID: id, Kind: portfolio.KindBTC, Custodian: custodian, Wallet: walletID}
	q, err := p.WithHolding(h, false)
	if err != nil {
		return nil, "", fieldErrorsAsFlags(err, "holding", id, nil)
	}
	return q, fmt.Sprintf("added holding %s at %s, taking its balance from wallet %s", id, custodian, walletID), nil
}

// ---- list, rm ----

type walletJSON struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Descriptor     string   `json:"descriptor"`
	Network        string   `json:"network"`
	BirthdayHeight int32    `json:"birthday_height"`
	GapLimit       int      `json:"gap_limit"`
	Backend        string   `json:"backend"`
	Server         string   `json:"server"`
	Proxy          string   `json:"proxy"`
	Holdings       []string `json:"holdings"`
	Synced         bool     `json:"synced"`
	TipHeight      *int32   `json:"tip_height"`
	BalanceSats    *int64   `json:"balance_sats"`
	Error          *string  `json:"error"`
}

type walletsListJSON struct {
	Wallets []walletJSON `json:"wallets"`
}

func newWalletListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List wallets with their cached balance",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			out := walletsListJSON{Wallets: []walletJSON{}}
			for _, w := range p.Wallets {
				j := walletJSON{ID: w.ID, Name: w.Name, Descriptor: w.Descriptor, Network: w.Network, BirthdayHeight: w.BirthdayHeight,
					GapLimit: w.Gap(), Backend: w.Backend.Kind, Server: w.Backend.Server, Proxy: w.Backend.Proxy, Holdings: []string{}}
				for _, h := range p.Holdings {
					if h.Wallet == w.ID {
						j.Holdings = append(j.Holdings, h.ID)
					}
				}
				st, _, err := service.LoadState(w)
				if err != nil {
					j.Error = ptr(err.Error())
				} else if tip := st.Tip(); tip.Height > 0 {
					j.Synced, j.TipHeight, j.BalanceSats = true, ptr(tip.Height), ptr(st.Balance().Total())
				}
				out.Wallets = append(out.Wallets, j)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			wr := cmd.OutOrStdout()
			if len(out.Wallets) == 0 {
				fmt.Fprintln(wr, "No wallets yet. Add one with: hardfolio wallet add")
				return nil
			}
			t := newTable("ID", "NETWORK", "BACKEND", "HOLDINGS", "SYNCED AT", "BALANCE (BTC)").alignRight(4, 5)
			for _, j := range out.Wallets {
				backend, at, bal := "-", "never", "-"
				if j.Backend != "" {
					backend = j.Backend + " " + j.Server
				}
				if j.Error != nil {
					at = "error"
				}
				if j.Synced {
					at, bal = fmt.Sprint(*j.TipHeight), btcString(*j.BalanceSats)
				}
				t.add(j.ID, j.Network, backend, strings.Join(j.Holdings, ","), at, bal)
			}
			t.write(wr, "")
			for _, j := range out.Wallets {
				if j.Error != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: %s\n", *j.Error)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}

func newWalletRmCmd(g *globals) *cobra.Command {
	cmd := g.removeCmd("wallet", "Remove wallets that no holding takes its balance from", "hardfolio wallet list",
		g.completeWalletIDs, (*portfolio.Portfolio).WithoutWallet)
	cmd.Long = "Remove wallets from the portfolio. Their caches and labels stay where they are."
	return cmd
}

// btcString writes sats as BTC with 8 decimals.
func btcString(sats int64) string {
	sign := ""
	if sats < 0 {
		sign, sats = "-", -sats
	}
	return fmt.Sprintf("%s%d.%08d", sign, sats/100_000_000, sats%100_000_000)
}
