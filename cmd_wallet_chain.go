package main

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/labels"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// ---- sync ----

func newWalletSyncCmd(g *globals) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "sync [ID...]",
		Short: "Sync wallets from their backends and update linked holdings",
		Long: `Sync the given wallets (all wallets with a backend when none is given)
from their configured server or node, save each one's cache, and set the
quantity of every BTC holding linked to a synced wallet to its balance, so
that reports and the dashboard show it. Progress goes to the error stream.`,
		ValidArgsFunction: g.completeWalletIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.demo {
				return errors.New("the demo has no wallets to sync")
			}
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			p := b.Portfolio()
			b.Close()
			var cfgs []portfolio.WalletConfig
			if len(args) == 0 {
				for _, w := range p.Wallets {
					if w.Backend.Kind != "" {
						cfgs = append(cfgs, w)
					}
				}
				if len(cfgs) == 0 {
					return errors.New("no wallet has a backend to sync from (see: hardfolio wallet list; add one with hardfolio wallet add --backend ...)")
				}
			}
			for _, id := range args {
				w := p.WalletConfig(id)
				if w == nil {
					return fmt.Errorf("%s: no wallet with ID %q (see: hardfolio wallet list)", b.Path(), id)
				}
				cfgs = append(cfgs, *w)
			}

			ctx, cancel := signalContext(cmd)
			defer cancel()
			errw := cmd.ErrOrStderr()
			balances := map[string]int64{}
			var failed []error
			for _, cfg := range cfgs {
				start := time.Now()
				st, warning, err := service.Sync(ctx, cfg, progressPrinter(errw, cfg.ID, quiet))
				if warning != nil {
					fmt.Fprintf(errw, "hardfolio: warning: %v\n", warning)
				}
				if err != nil {
					fmt.Fprintf(errw, "hardfolio: %v\n", err)
					failed = append(failed, err)
					continue
				}
				bal := st.Balance()
				balances[cfg.ID] = bal.Total()
				fmt.Fprintf(cmd.OutOrStdout(), "%s: synced to block %d in %s: %s BTC (%s unconfirmed)\n",
					cfg.ID, st.Tip().Height, time.Since(start).Round(time.Millisecond), btcString(bal.Total()), btcString(bal.Unconfirmed))
			}
			if len(balances) > 0 {
				if err := g.saveWalletBalances(cmd, balances); err != nil {
					return err
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d of %d wallets failed to sync", len(failed), len(cfgs))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress on the error stream")
	return cmd
}

// saveWalletBalances sets the holdings linked to the synced wallets to their
// balances and saves the portfolio when that changed anything.
func (g *globals) saveWalletBalances(cmd *cobra.Command, balances map[string]int64) error {
	linked := false
	b, err := g.open(cmd)
	if err != nil {
		return err
	}
	for _, h := range b.Portfolio().Holdings {
		if _, ok := balances[h.Wallet]; ok && h.Kind == portfolio.KindBTC {
			linked = true
		}
	}
	b.Close()
	if !linked {
		return nil
	}
	b, err = g.openWritable(cmd)
	if err != nil {
		return err
	}
	defer b.Close()
	p := b.Portfolio()
	q := p.WithWalletBalances(balances)
	changed := false
	for i := range q.Holdings {
		if q.Holdings[i].Sats != p.Holdings[i].Sats {
			changed = true
			fmt.Fprintf(cmd.OutOrStdout(), "holding %s: %s BTC (was %s)\n", q.Holdings[i].ID, btcString(q.Holdings[i].Sats), btcString(p.Holdings[i].Sats))
		}
	}
	if !changed {
		return nil
	}
	return b.Save(q)
}

// progressPrinter reports sync progress on w, at most a few times a second.
func progressPrinter(w io.Writer, id string, quiet bool) func(wallet.Progress) {
	if quiet {
		return nil
	}
	var mu sync.Mutex
	var last time.Time
	return func(p wallet.Progress) {
		mu.Lock()
		defer mu.Unlock()
		done := p.Done == p.Total && p.Scan.Total == 0
		if !done && time.Since(last) < 250*time.Millisecond {
			return
		}
		last = time.Now()
		if p.Scan.Total > 0 {
			fmt.Fprintf(w, "%s: %s: %s %d/%d\n", id, p.Stage, p.Scan.What, p.Scan.Done, p.Scan.Total)
			return
		}
		fmt.Fprintf(w, "%s: %s %d/%d\n", id, p.Stage, p.Done, p.Total)
	}
}

// ---- balance ----

type balanceJSON struct {
	Wallet           string `json:"wallet"`
	TipHeight        int32  `json:"tip_height"`
	TipHash          string `json:"tip_hash"`
	ConfirmedSats    int64  `json:"confirmed_sats"`
	UnconfirmedSats  int64  `json:"unconfirmed_sats"`
	TotalSats        int64  `json:"total_sats"`
	Total            string `json:"total_btc"`
	UTXOCount        int    `json:"utxo_count"`
	TransactionCount int    `json:"transaction_count"`
}

func newWalletBalanceCmd(g *globals) *cobra.Command {
	return g.walletStateCmd(&cobra.Command{
		Use:   "balance ID",
		Short: "Show a wallet's balance from its last sync",
	}, func(cmd *cobra.Command, id string, st *wallet.State) (any, func(w io.Writer), error) {
		bal := st.Balance()
		j := balanceJSON{Wallet: id, TipHeight: st.Tip().Height, TipHash: st.Tip().Hash.String(),
			ConfirmedSats: bal.Confirmed, UnconfirmedSats: bal.Unconfirmed, TotalSats: bal.Total(), Total: btcString(bal.Total()),
			UTXOCount: len(st.UTXOs()), TransactionCount: len(st.History())}
		return j, func(w io.Writer) {
			t := newTable("", "BTC").alignRight(1)
			t.add("confirmed", btcString(bal.Confirmed))
			t.add("unconfirmed", btcString(bal.Unconfirmed))
			t.rule()
			t.add("total", btcString(bal.Total()))
			t.write(w, "")
			fmt.Fprintf(w, "%d unspent outputs, %d transactions, synced to block %d\n", j.UTXOCount, j.TransactionCount, j.TipHeight)
		}, nil
	})
}

// ---- utxos ----

type utxoJSON struct {
	OutPoint string `json:"outpoint"`
	Sats     int64  `json:"sats"`
	Address  string `json:"address"`
	Change   bool   `json:"change"`
	Index    uint32 `json:"index"`
	Height   int32  `json:"height"`
	Frozen   bool   `json:"frozen"`
}

type utxosJSON struct {
	Wallet string     `json:"wallet"`
	UTXOs  []utxoJSON `json:"utxos"`
}

func newWalletUTXOsCmd(g *globals) *cobra.Command {
	return g.walletStateCmd(&cobra.Command{
		Use:   "utxos ID",
		Short: "List a wallet's unspent outputs, largest first",
	}, func(cmd *cobra.Command, id string, st *wallet.State) (any, func(w io.Writer), error) {
		frozen := map[string]bool{}
		if s, err := openLabels(id); err == nil {
			for _, op := range s.Frozen() {
				frozen[op.String()] = true
			}
		}
		out := utxosJSON{Wallet: id, UTXOs: []utxoJSON{}}
		for _, u := range st.UTXOs() {
			out.UTXOs = append(out.UTXOs, utxoJSON{OutPoint: u.OutPoint.String(), Sats: u.Value, Address: u.Address,
				Change: u.Change, Index: u.Index, Height: u.Height, Frozen: frozen[u.OutPoint.String()]})
		}
		return out, func(w io.Writer) {
			t := newTable("OUTPOINT", "BTC", "ADDRESS", "PATH", "HEIGHT", "").alignRight(1, 4)
			for _, u := range out.UTXOs {
				chain, height, note := "0", fmt.Sprint(u.Height), ""
				if u.Change {
					chain = "1"
				}
				if u.Height <= 0 {
					height = "mempool"
				}
				if u.Frozen {
					note = "frozen"
				}
				t.add(u.OutPoint, btcString(u.Sats), u.Address, fmt.Sprintf("%s/%d", chain, u.Index), height, note)
			}
			t.write(w, "")
		}, nil
	})
}

// ---- history ----

type txJSON struct {
	TxID     string `json:"txid"`
	Height   int32  `json:"height"`
	NetSats  int64  `json:"net_sats"`
	FeeSats  *int64 `json:"fee_sats"`
	VSize    int64  `json:"vsize"`
	Coinbase bool   `json:"coinbase"`
	Label    string `json:"label"`
}

type historyJSON struct {
	Wallet       string   `json:"wallet"`
	Transactions []txJSON `json:"transactions"`
}

func newWalletHistoryCmd(g *globals) *cobra.Command {
	return g.walletStateCmd(&cobra.Command{
		Use:   "history ID",
		Short: "List a wallet's transactions, newest first",
	}, func(cmd *cobra.Command, id string, st *wallet.State) (any, func(w io.Writer), error) {
		labelOf := func(string) string { return "" }
		if s, err := openLabels(id); err == nil {
			labelOf = func(txid string) string {
				l, _ := s.Get(labels.Tx, txid)
				return l.Text()
			}
		}
		out := historyJSON{Wallet: id, Transactions: []txJSON{}}
		for _, e := range st.History() {
			j := txJSON{TxID: e.TxID.String(), Height: e.Height, NetSats: e.Net, VSize: e.VSize, Coinbase: e.Coinbase, Label: labelOf(e.TxID.String())}
			if e.FeeKnown {
				j.FeeSats = ptr(e.Fee)
			}
			out.Transactions = append(out.Transactions, j)
		}
		return out, func(w io.Writer) {
			t := newTable("HEIGHT", "TXID", "NET (BTC)", "FEE (sat)", "LABEL").alignRight(0, 2, 3)
			for _, j := range out.Transactions {
				height, fee := fmt.Sprint(j.Height), "?"
				if j.Height <= 0 {
					height = "mempool"
				}
				if j.FeeSats != nil {
					fee = fmt.Sprint(*j.FeeSats)
				}
				t.add(height, j.TxID, btcString(j.NetSats), fee, j.Label)
			}
			t.write(w, "")
		}, nil
	})
}

// ---- receive ----

type receiveJSON struct {
	Wallet  string `json:"wallet"`
	Address string `json:"address"`
	Index   uint32 `json:"index"`
	Path    string `json:"path"`
	// Paths are every key's derivation: one for a single-sig wallet, one
	// per cosigner for a multisig wallet (Path is then the first).
	Paths []string `json:"paths"`
}

func newWalletReceiveCmd(g *globals) *cobra.Command {
	return g.walletStateCmd(&cobra.Command{
		Use:   "receive ID",
		Short: "Show the next unused receive address",
		Long: `Show the first receive address no transaction has used, as of the last
sync, with its derivation path. Check it on the hardware wallet's screen
before giving it out.`,
	}, func(cmd *cobra.Command, id string, st *wallet.State) (any, func(w io.Writer), error) {
		a, err := st.NextReceive()
		if err != nil {
			return nil, nil, fmt.Errorf("wallet %q: %w", id, err)
		}
		origins, err := st.Wallet().KeyOrigins(false, a.Index)
		if err != nil {
			return nil, nil, fmt.Errorf("wallet %q: %w", id, err)
		}
		j := receiveJSON{Wallet: id, Address: a.Address, Index: a.Index, Path: origins[0].String()}
		for _, o := range origins {
			j.Paths = append(j.Paths, o.String())
		}
		return j, func(w io.Writer) {
			if len(j.Paths) == 1 {
				fmt.Fprintf(w, "%s\n%s (receive index %d)\n", j.Address, j.Path, j.Index)
				return
			}
			fmt.Fprintf(w, "%s\n%s, receive index %d; the cosigners' keys:\n", j.Address, st.Wallet().Kind(), j.Index)
			for _, p := range j.Paths {
				fmt.Fprintf(w, "  %s\n", p)
			}
		}, nil
	})
}

// walletStateCmd completes cmd as "CMD ID": it reads wallet ID's cached
// state (no network), and run returns the JSON value that --json writes
// and the text writer otherwise.
func (g *globals) walletStateCmd(cmd *cobra.Command, run func(cmd *cobra.Command, id string, st *wallet.State) (any, func(w io.Writer), error)) *cobra.Command {
	var asJSON bool
	cmd.Args = cobra.ExactArgs(1)
	cmd.ValidArgsFunction = g.completeWalletIDs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		_, st, err := g.cachedState(cmd, args[0])
		if err != nil {
			return err
		}
		out, text, err := run(cmd, args[0], st)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(cmd.OutOrStdout(), out)
		}
		text(cmd.OutOrStdout())
		return nil
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}
