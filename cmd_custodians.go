package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// newCustodiansCmd is "hardfolio custodians": a fresh portfolio has none,
// and every holding needs one, so these come first.
func newCustodiansCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "custodians",
		Aliases: []string{"custodian"},
		Short:   "List, add, edit and remove custodians: who or what holds each asset",
		Long: `Custodians are the places and parties that hold assets: a hardware wallet,
a home safe, a vault, a broker, an ETF trust, an exchange, a bank. Every
holding names one, so add a custodian before the first holding.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCustodiansListCmd(g), newCustodiansAddCmd(g), newCustodiansEditCmd(g), newCustodiansRmCmd(g))
	return cmd
}

// custodianFlags are the flags that set a custodian's fields, named after
// the file's fields.
type custodianFlags struct {
	id, name, kind, jurisdiction, insuranceCurrency, notes string
	insuranceCap                                           decimal.Decimal
}

func (f *custodianFlags) register(g *globals, cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.id, "id", "", "custodian ID (lower-case letters, digits, '.', '_', '-')")
	fs.StringVar(&f.name, "name", "", "name, e.g. \"Zurich vault\"")
	fs.StringVar(&f.kind, "kind", "", "custody kind: "+strings.Join(custodyKindNames(), ", "))
	fs.StringVar(&f.jurisdiction, "jurisdiction", "", "ISO 3166 country code of where the assets are held, e.g. CH")
	fs.Var(decimalFlag{&f.insuranceCap}, "insurance-cap", "bank: deposit-insurance limit per depositor")
	fs.StringVar(&f.insuranceCurrency, "insurance-currency", "", "bank: currency of --insurance-cap")
	fs.StringVar(&f.notes, "notes", "", "free notes")
	_ = cmd.RegisterFlagCompletionFunc("kind", fixedCompletion(custodyKindNames()...))
	_ = cmd.RegisterFlagCompletionFunc("insurance-currency", g.completeCurrencies)
}

func custodyKindNames() []string {
	out := make([]string, len(portfolio.CustodyKinds))
	for i, k := range portfolio.CustodyKinds {
		out[i] = string(k)
	}
	return out
}

// apply sets the fields whose flags were given and leaves the others.
func (f *custodianFlags) apply(cmd *cobra.Command, c *portfolio.Custodian) {
	set := cmd.Flags().Changed
	if set("id") {
		c.ID = strings.TrimSpace(f.id)
	}
	if set("name") {
		c.Name = f.name
	}
	if set("kind") {
		k := strings.ToLower(strings.TrimSpace(f.kind))
		c.Kind = portfolio.CustodyKind(strings.NewReplacer("-", "_", " ", "_").Replace(k))
	}
	if set("jurisdiction") {
		c.Jurisdiction = strings.ToUpper(strings.TrimSpace(f.jurisdiction))
	}
	if set("insurance-cap") {
		c.InsuranceCap = f.insuranceCap
	}
	if set("insurance-currency") {
		c.InsuranceCurrency = strings.ToUpper(strings.TrimSpace(f.insuranceCurrency))
	}
	if set("notes") {
		c.Notes = f.notes
	}
}

// defaultCustodianID makes an unused custodian ID from a name, with the
// same rules as holding IDs ("Zurich vault" -> zurich-vault, zurich-vault-2).
func defaultCustodianID(p *portfolio.Portfolio, name string) string {
	taken := &portfolio.Portfolio{}
	for _, c := range p.Custodians {
		taken.Holdings = append(taken.Holdings, portfolio.Holding{ID: c.ID})
	}
	return taken.NewHoldingID(name)
}

// newCustodiansAddCmd is "custodians add", with an ID made from the name
// unless --id is given.
func newCustodiansAddCmd(g *globals) *cobra.Command {
	f := &custodianFlags{}
	cmd := &cobra.Command{
		Use:   "add --name NAME --kind KIND --jurisdiction CC [flags]",
		Short: "Add a custodian",
		Long: `Add a custodian. --name, --kind and --jurisdiction are required; without
--id an unused ID is made from the name.`,
		Example: `  hardfolio custodians add --id ledger --name "Ledger Nano" --kind hardware_wallet --jurisdiction DE
  hardfolio custodians add --name "Sparkasse" --kind bank --jurisdiction DE --insurance-cap 100000 --insurance-currency EUR`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.demo {
				return book.ErrDemo
			}
			if !cmd.Flags().Changed("id") && strings.TrimSpace(f.name) == "" {
				return errors.New("--name is required (and makes the ID unless --id is given)")
			}
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			c := portfolio.Custodian{}
			f.apply(cmd, &c)
			if c.ID == "" {
				c.ID = defaultCustodianID(p, c.Name)
			}
			if p.Custodian(c.ID) != nil {
				return fmt.Errorf("custodian %q: --id: a custodian with this ID exists already (see: hardfolio custodians list)", c.ID)
			}
			q, err := p.WithCustodian(c)
			if err != nil {
				return fieldErrorsAsFlags(err, "custodian", c.ID, nil)
			}
			if err := b.Save(q); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added custodian %s: %s (%s, %s)\n", c.ID, c.Name, c.Kind.Label(), c.Jurisdiction)
			return nil
		},
	}
	f.register(g, cmd)
	return cmd
}

// newCustodiansEditCmd is "custodians edit ID"; a new --id carries the
// holdings (and ETF issuers) that name the custodian along.
func newCustodiansEditCmd(g *globals) *cobra.Command {
	f := &custodianFlags{}
	cmd := &cobra.Command{
		Use:   "edit ID [flags]",
		Short: "Change a custodian: only the fields whose flags are given change",
		Long: `Change a custodian. Only the fields whose flags are given change; --id
renames it, and the holdings that name it follow.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: g.completeCustodianIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.demo {
				return book.ErrDemo
			}
			if !anyLocalFlag(cmd) {
				return errors.New("nothing to change: give the flags of the fields to change (see --help)")
			}
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			old := args[0]
			if p.Custodian(old) == nil {
				return fmt.Errorf("%s: no custodian with ID %q (see: hardfolio custodians list)", b.Path(), old)
			}
			q := p.Clone()
			c := q.Custodian(old)
			f.apply(cmd, c)
			if c.ID != old {
				if p.Custodian(c.ID) != nil {
					return fmt.Errorf("custodian %q: --id: a custodian with ID %q exists already", old, c.ID)
				}
				for i := range q.Holdings {
					h := &q.Holdings[i]
					if h.Custodian == old {
						h.Custodian = c.ID
					}
					if h.Issuer == old {
						h.Issuer = c.ID
					}
				}
			}
			if err := q.Validate(); err != nil {
				return fieldErrorsAsFlags(err, "custodian", c.ID, nil)
			}
			if err := b.Save(q); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "changed custodian %s: %s (%s, %s)\n", c.ID, c.Name, c.Kind.Label(), c.Jurisdiction)
			return nil
		},
	}
	f.register(g, cmd)
	return cmd
}

// newCustodiansRmCmd is "custodians rm ID...": refused while a holding
// names the custodian, all the IDs or none.
func newCustodiansRmCmd(g *globals) *cobra.Command {
	return g.removeCmd("custodian", "Remove custodians that hold nothing", "hardfolio custodians list",
		g.completeCustodianIDs, (*portfolio.Portfolio).WithoutCustodian)
}

type custodianJSON struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Kind              string  `json:"kind"`
	KindLabel         string  `json:"kind_label"`
	SelfCustody       bool    `json:"self_custody"`
	Jurisdiction      string  `json:"jurisdiction"`
	InsuranceCap      *string `json:"insurance_cap"`
	InsuranceCurrency *string `json:"insurance_currency"`
	Notes             string  `json:"notes"`
	Holdings          int     `json:"holdings"`
}

type custodiansListJSON struct {
	Custodians []custodianJSON `json:"custodians"`
}

// newCustodiansListCmd is "custodians list".
func newCustodiansListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List custodians",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			count := map[string]int{}
			for _, h := range p.Holdings {
				count[h.Custodian]++
			}
			if asJSON {
				out := custodiansListJSON{Custodians: []custodianJSON{}}
				for _, c := range p.Custodians {
					j := custodianJSON{ID: c.ID, Name: c.Name, Kind: string(c.Kind), KindLabel: c.Kind.Label(), SelfCustody: c.Kind.SelfCustody(),
						Jurisdiction: c.Jurisdiction, Notes: c.Notes, Holdings: count[c.ID]}
					if !c.InsuranceCap.IsZero() {
						j.InsuranceCap, j.InsuranceCurrency = ptr(jsonDec(c.InsuranceCap)), ptr(c.InsuranceCurrency)
					}
					out.Custodians = append(out.Custodians, j)
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			if len(p.Custodians) == 0 {
				fmt.Fprintln(w, "No custodians yet. Add one with: hardfolio custodians add")
				return nil
			}
			t := newTable("ID", "NAME", "KIND", "SELF-CUSTODY", "JURISDICTION", "INSURANCE CAP", "HOLDINGS").alignRight(5, 6)
			for _, c := range p.Custodians {
				self, insurance := "no", ""
				if c.Kind.SelfCustody() {
					self = "yes"
				}
				if !c.InsuranceCap.IsZero() {
					insurance = portfolio.Unit(c.InsuranceCurrency).Format(c.InsuranceCap)
				}
				t.add(c.ID, c.Name, c.Kind.Label(), self, c.Jurisdiction, insurance, fmt.Sprint(count[c.ID]))
			}
			t.write(w, "")
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}
