package portfolio

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// FieldError is a problem with one field of a portfolio. Section and Index
// name the entry ("holding", 3), Key the field; File and Line are filled in
// when the portfolio came from a file.
type FieldError struct {
	File    string
	Line    int
	Section string // custodian, holding, lot, price, fx, wallet, settings, analysis, analysis.proxies, analysis.limits, scenario, scenario.move, scenario.event
	Index   int    // 0-based position within the section; -1 for settings
	Parent  int    // for lots: the index of the holding; for a scenario's moves and events, the scenario's; otherwise -1
	ID      string // the entry's ID, when it has one
	Key     string
	Msg     string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Where())
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Where names the entry: `holding "gld"`, `holding #3`, `price #2`.
func (e *FieldError) Where() string {
	switch {
	case e.Section == "settings":
		return "settings"
	case e.Section == "lot":
		return fmt.Sprintf("holding #%d lot #%d", e.Parent+1, e.Index+1)
	case e.Section == "scenario.move" || e.Section == "scenario.event":
		of := fmt.Sprintf("scenario #%d", e.Parent+1)
		if e.ID != "" {
			of = fmt.Sprintf("scenario %q", e.ID)
		}
		return fmt.Sprintf("%s %s #%d", of, strings.TrimPrefix(e.Section, "scenario."), e.Index+1)
	case e.ID != "":
		return fmt.Sprintf("%s %q", e.Section, e.ID)
	case e.Index < 0:
		return e.Section
	}
	return fmt.Sprintf("%s #%d", e.Section, e.Index+1)
}

// Errors is a list of problems found together.
type Errors []*FieldError

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// AsErrors extracts the field errors from err, if it holds any.
func AsErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return Errors{fe}
	}
	return nil
}

// CheckID reports whether id is a valid holding or custodian ID: 1-64
// characters, lower-case letters, digits, '.', '_' or '-', not starting with
// punctuation.
func CheckID(id string) error {
	if !validID(id) {
		return fmt.Errorf("invalid ID %q: use 1-64 lower-case letters, digits, '.', '_' or '-'", id)
	}
	return nil
}

type checker struct {
	errs Errors
}

func (c *checker) add(section string, index, parent int, id, key, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{Section: section, Index: index, Parent: parent, ID: id, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// adopt adds the errors of item i's own Check, which numbers the item 0:
// those of section (the item itself) get Index i, those of its parts
// (a holding's lots, a scenario's moves and events) Parent i.
func (c *checker) adopt(errs Errors, section string, i int) {
	for _, e := range errs {
		if e.Section == section {
			e.Index = i
		} else {
			e.Parent = i
		}
		c.errs = append(c.errs, e)
	}
}

// Validate checks the whole portfolio and returns every problem found, as
// Errors, or nil.
func (p *Portfolio) Validate() error {
	c := &checker{}
	if p.Settings.Unit != "" {
		if _, err := ParseUnit(string(p.Settings.Unit)); err != nil {
			c.add("settings", -1, -1, "", "unit", "%v", err)
		}
	}
	if p.Settings.HomeCountry != "" {
		if err := CheckCountry(p.Settings.HomeCountry); err != nil {
			c.add("settings", -1, -1, "", "home_country", "%v", err)
		}
	}
	if p.Settings.StaleAfter < 0 {
		c.add("settings", -1, -1, "", "stale_after", "must not be negative")
	}
	custIDs := map[string]int{}
	for i := range p.Custodians {
		cu := &p.Custodians[i]
		cu.validate(c, i)
		if j, dup := custIDs[cu.ID]; dup && cu.ID != "" {
			c.add("custodian", i, -1, cu.ID, "id", "duplicate ID: custodian #%d has it too", j+1)
		}
		custIDs[cu.ID] = i
	}
	walletIDs := map[string]int{}
	for i := range p.Wallets {
		w := &p.Wallets[i]
		w.validate(c, i)
		if j, dup := walletIDs[w.ID]; dup && w.ID != "" {
			c.add("wallet", i, -1, w.ID, "id", "duplicate ID: wallet #%d has it too", j+1)
		}
		walletIDs[w.ID] = i
	}
	regs := map[[2]string]int{}
	for i := range p.Registrations {
		r := &p.Registrations[i]
		r.validate(c, i)
		k := [2]string{r.Descriptor, r.Fingerprint}
		if j, dup := regs[k]; dup {
			c.add("registration", i, -1, r.Name, "fingerprint", "registration #%d is of the same wallet on the same device", j+1)
		}
		regs[k] = i
	}
	holdIDs := map[string]int{}
	for i := range p.Holdings {
		h := &p.Holdings[i]
		c.adopt(h.Check(p), "holding", i)
		if j, dup := holdIDs[h.ID]; dup && h.ID != "" {
			c.add("holding", i, -1, h.ID, "id", "duplicate ID: holding #%d has it too", j+1)
		}
		holdIDs[h.ID] = i
	}
	for i, pr := range p.Prices {
		pr.validate(c, i)
	}
	for i, fx := range p.FX {
		fx.validate(c, i)
	}
	p.Analysis.validate(c)
	p.Rebalance.validate(c)
	scenIDs := map[string]int{}
	for i := range p.Scenarios {
		s := &p.Scenarios[i]
		c.adopt(s.Check(p), "scenario", i)
		if j, dup := scenIDs[s.ID]; dup && s.ID != "" {
			c.add("scenario", i, -1, s.ID, "id", "duplicate ID: scenario #%d has it too", j+1)
		}
		scenIDs[s.ID] = i
	}
	if len(c.errs) > 0 {
		return c.errs
	}
	return nil
}

func (cu *Custodian) validate(c *checker, i int) {
	add := func(key, f string, a ...any) { c.add("custodian", i, -1, cu.ID, key, f, a...) }
	if err := CheckID(cu.ID); err != nil {
		add("id", "%v", err)
	}
	if strings.TrimSpace(cu.Name) == "" {
		add("name", "is required")
	}
	if !validCustodyKind(cu.Kind) {
		add("kind", "unknown custody kind %q: want one of %s", cu.Kind, custodyKindList())
	}
	if cu.Jurisdiction == "" {
		add("jurisdiction", "is required (ISO 3166 country code such as CH)")
	} else if err := CheckCountry(cu.Jurisdiction); err != nil {
		add("jurisdiction", "%v", err)
	}
	if cu.InsuranceCap.IsNegative() {
		add("insurance_cap", "must not be negative")
	}
	if !cu.InsuranceCap.IsZero() {
		if cu.Kind != CustodyBank {
			add("insurance_cap", "only banks have a deposit-insurance cap")
		}
		if err := CheckCurrency(cu.InsuranceCurrency); err != nil {
			add("insurance_currency", "%v", err)
		}
	}
}

func validCustodyKind(k CustodyKind) bool {
	for _, x := range CustodyKinds {
		if x == k {
			return true
		}
	}
	return false
}

func custodyKindList() string {
	s := make([]string, len(CustodyKinds))
	for i, k := range CustodyKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Check validates one holding against the portfolio's custodians and returns
// its problems (Index left at 0 for the caller to set).
func (h *Holding) Check(p *Portfolio) Errors {
	c := &checker{}
	add := func(key, f string, a ...any) { c.add("holding", 0, -1, h.ID, key, f, a...) }
	if err := CheckID(h.ID); err != nil {
		add("id", "%v", err)
	}
	if h.Custodian == "" {
		add("custodian", "is required")
	} else if p != nil && p.Custodian(h.Custodian) == nil {
		add("custodian", "no custodian with ID %q", h.Custodian)
	}
	positive := func(key string, d decimal.Decimal) {
		if d.Sign() <= 0 {
			add(key, "must be greater than zero, got %s", d)
		}
	}
	notNegative := func(key string, d decimal.Decimal) {
		if d.IsNegative() {
			add(key, "must not be negative, got %s", d)
		}
	}
	switch h.Kind {
	case KindBTC:
		if h.Sats < 0 {
			add("sats", "must not be negative, got %d", h.Sats)
		}
		if h.Sats > 21_000_000*100_000_000 {
			add("sats", "more than 21 million BTC")
		}
		if h.Wallet != "" && p != nil && p.WalletConfig(h.Wallet) == nil {
			add("wallet", "no wallet with ID %q", h.Wallet)
		}
	case KindGold:
		positive("weight", h.Weight)
		if _, ok := gramsPer[h.WeightUnit]; !ok {
			add("weight_unit", "unknown weight unit %q: want oz, g, kg or tael", h.WeightUnit)
		}
		if h.Fineness.Sign() <= 0 || h.Fineness.GreaterThan(decimal.NewFromInt(1)) {
			add("fineness", "must be above 0 and at most 1 (e.g. 0.9999), got %s", h.Fineness)
		}
		if h.Pieces < 0 {
			add("pieces", "must not be negative, got %d", h.Pieces)
		}
		if h.Form != FormCoin && h.Form != FormBar {
			add("form", "unknown form %q: want coin or bar", h.Form)
		}
	case KindETF:
		if h.Ticker == "" {
			add("ticker", "is required")
		}
		notNegative("shares", h.Units)
		positive("oz_per_share", h.OzPerShare)
		if h.OzPerShareDate.IsZero() {
			add("oz_per_share_date", "is required: the date the ounces per share were published")
		}
		if h.ExpenseRatio.IsNegative() || h.ExpenseRatio.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			add("expense_ratio", "must be a fraction from 0 to below 1 (0.004 for 0.40%%), got %s", h.ExpenseRatio)
		}
		if h.Issuer != "" && p != nil && p.Custodian(h.Issuer) == nil {
			add("issuer", "no custodian with ID %q", h.Issuer)
		}
	case KindCash:
		if err := CheckCurrency(h.Currency); err != nil {
			add("currency", "%v", err)
		}
		notNegative("amount", h.Amount)
	case KindOther:
		if h.Ticker == "" {
			add("symbol", "is required")
		}
		notNegative("units", h.Units)
	default:
		add("kind", "unknown kind %q: want btc, gold, etf, cash or other", h.Kind)
	}
	for j, l := range h.Lots {
		ladd := func(key, f string, a ...any) { c.add("lot", j, 0, h.ID, key, f, a...) }
		if l.Date.IsZero() {
			ladd("date", "is required")
		}
		if l.Quantity.Sign() <= 0 {
			ladd("quantity", "must be greater than zero, got %s", l.Quantity)
		}
		if l.Cost.IsNegative() {
			ladd("cost", "must not be negative, got %s", l.Cost)
		}
		if err := CheckCurrency(l.CostCurrency); err != nil {
			ladd("cost_currency", "%v", err)
		}
	}
	return c.errs
}

func (pr Price) validate(c *checker, i int) {
	add := func(key, f string, a ...any) { c.add("price", i, -1, "", key, f, a...) }
	if pr.Asset == "" {
		add("asset", "is required")
	}
	if pr.Value.Sign() <= 0 {
		add("value", "must be greater than zero, got %s", pr.Value)
	}
	if err := CheckCurrency(pr.Currency); err != nil {
		add("currency", "%v", err)
	}
	if pr.Time.IsZero() {
		add("time", "is required: when the price was observed")
	}
}

func (fx FXRate) validate(c *checker, i int) {
	add := func(key, f string, a ...any) { c.add("fx", i, -1, "", key, f, a...) }
	if err := CheckCurrency(fx.Base); err != nil {
		add("base", "%v", err)
	}
	if err := CheckCurrency(fx.Quote); err != nil {
		add("quote", "%v", err)
	}
	if fx.Base == fx.Quote && fx.Base != "" {
		add("quote", "base and quote are the same currency")
	}
	if fx.Rate.Sign() <= 0 {
		add("rate", "must be greater than zero, got %s", fx.Rate)
	}
	if fx.Time.IsZero() {
		add("time", "is required: when the rate was observed")
	}
}

// validID matches ^[a-z0-9][a-z0-9._-]{0,63}$.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}
