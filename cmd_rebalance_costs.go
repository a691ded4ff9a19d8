package main

import (
	"fmt"
	"io"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
)

// newRebalanceCostsCmd is "hardfolio rebalance costs": show or set the
// costs per venue and the minimum trade.
func newRebalanceCostsCmd(g *globals) *cobra.Command {
	values := map[string]*string{}
	cmd := &cobra.Command{
		Use:   "costs",
		Short: "Show or set the trading costs per venue and the minimum trade",
		Long: `Without flags, list what a plan counts as trading costs, the minimum trade
and what is never sold. Each flag sets one: the on-chain fee rate in sat/vB
and the typical size in vbytes of a transaction into or out of a hardware
wallet (141 when not set), the broker's commission per ETF or other trade,
the dealer's premium over spot buying physical gold and spread below spot
selling it, the FX spread (all three in percent of the trade), and the
smallest trade worth making. An empty value or 0 clears a setting. Bad
values are refused with what is wrong, and nothing is saved.`,
		Example: `  hardfolio rebalance costs
  hardfolio rebalance costs --fee-rate 12 --tx-vbytes 180
  hardfolio rebalance costs --commission "4.95 CHF" --gold-premium 3.5 --gold-spread 1.5
  hardfolio rebalance costs --fx-spread 0.2 --min-trade "500 EUR"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			changed := false
			for name := range values {
				changed = changed || cmd.Flags().Changed(name)
			}
			if !changed {
				b, err := g.open(cmd)
				if err != nil {
					return err
				}
				defer b.Close()
				writeCostsText(cmd.OutOrStdout(), &b.Portfolio().Rebalance)
				return nil
			}
			q, err := g.edit(cmd, func(q *portfolio.Portfolio) error {
				for _, s := range rebalance.Settings {
					v, ok := values[s.Name]
					if !ok || !cmd.Flags().Changed(s.Name) {
						continue
					}
					if err := s.Set(q, *v); err != nil {
						return fmt.Errorf("--%s: %w", s.Name, err)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			writeCostsText(cmd.OutOrStdout(), &q.Rebalance)
			return nil
		},
	}
	for _, s := range rebalance.Settings {
		if s.Name == "never-sell" {
			continue // its own subcommand
		}
		values[s.Name] = cmd.Flags().String(s.Name, "", s.Label+", such as "+s.Hint)
	}
	return cmd
}

// writeCostsText lists the settings with the flag that sets each.
func writeCostsText(w io.Writer, s *portfolio.RebalanceSettings) {
	t := newTable("SETTING", "VALUE", "SET WITH")
	for _, st := range rebalance.Settings {
		v := st.Get(s)
		switch {
		case st.Name == "tx-vbytes" && v == "":
			v = fmt.Sprintf("%d (default)", portfolio.DefaultTxVBytes)
		case v == "":
			v = "none"
		}
		flag := "--" + st.Name
		if st.Name == "never-sell" {
			flag = "rebalance never-sell add|rm"
		}
		t.add(st.Label, v, flag)
		if st.Name == "tx-vbytes" && !s.Costs.FeeRate.IsZero() {
			t.add("  fee of one such transaction", fmt.Sprintf("%s sats", portfolio.FormatDecimal(decimal.NewFromInt(s.Costs.OnChainFee()), 0)), "")
		}
	}
	t.write(w, "")
}

// newRebalanceNeverSellCmd is "hardfolio rebalance never-sell": list,
// add to and remove from what a plan never sells.
func newRebalanceNeverSellCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "never-sell [add|rm REF...]",
		Short: "List, add to or remove from what a plan never sells",
		Long: `Without arguments, list what no plan sells. "add" puts references on the
list, "rm" takes them off: each is an asset class (Bitcoin, Gold, Cash,
Other), an asset (BTC, XAU, a currency), a ticker or a holding ID, and must
name something in the portfolio. "rebalance --never-sell REF" adds one for
a single plan without saving it.`,
		Example: `  hardfolio rebalance never-sell
  hardfolio rebalance never-sell add BTC vault-bar
  hardfolio rebalance never-sell rm vault-bar`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			writeNeverSellText(cmd.OutOrStdout(), b.Portfolio().Rebalance.NeverSell)
			return nil
		},
	}
	edit := func(use, short string, f func(*portfolio.Portfolio, string) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " REF...",
			Short: short,
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				q, err := g.edit(cmd, func(q *portfolio.Portfolio) error {
					for _, a := range args {
						if err := f(q, a); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
				writeNeverSellText(cmd.OutOrStdout(), q.Rebalance.NeverSell)
				return nil
			},
		}
	}
	cmd.AddCommand(edit("add", "Never sell these", rebalance.AddNeverSell), edit("rm", "Allow selling these again", rebalance.RemoveNeverSell))
	return cmd
}

func writeNeverSellText(w io.Writer, refs []string) {
	if len(refs) == 0 {
		fmt.Fprintln(w, "Nothing is protected from selling. Add with: hardfolio rebalance never-sell add REF")
		return
	}
	fmt.Fprintln(w, "Never sold:")
	for _, r := range refs {
		fmt.Fprintln(w, "  "+r)
	}
}
