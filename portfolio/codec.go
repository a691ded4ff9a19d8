package portfolio

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/shopspring/decimal"
)

// The portfolio file is TOML. Decimals are written as quoted strings so they
// stay exact ("0.9999"); whole numbers may be written bare. Dates are TOML
// local dates (2024-03-01), times TOML offset date-times.

// dec is a decimal field in the file. It is read from the literal's text,
// so a bare 0.9999 is as exact as a quoted "0.9999"; it is written quoted.
type dec struct{ decimal.Decimal }

func (d *dec) UnmarshalTOML(n *unstable.Node) (err error) {
	defer func() {
		if err != nil {
			err = &valueError{offset: int(n.Raw.Offset), err: err}
		}
	}()
	text := string(n.Data)
	switch n.Kind {
	case unstable.String:
		text = strings.TrimSpace(text)
	case unstable.Integer, unstable.Float:
		text = strings.ReplaceAll(text, "_", "")
		if strings.HasPrefix(text, "0x") || strings.HasPrefix(text, "0o") || strings.HasPrefix(text, "0b") {
			return fmt.Errorf("%s: write decimals in base 10", text)
		}
	default:
		return fmt.Errorf("want a decimal number such as \"0.9999\", got a %s", n.Kind)
	}
	parsed, err := decimal.NewFromString(text)
	if err != nil {
		return fmt.Errorf("%q is not a decimal number", text)
	}
	d.Decimal = parsed
	return nil
}

func (d dec) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// valueError is a bad value at a byte offset of the file.
type valueError struct {
	offset int
	err    error
}

func (e *valueError) Error() string { return e.err.Error() }

// dur is a Go duration in the file ("168h").
type dur struct{ time.Duration }

func (d *dur) UnmarshalText(b []byte) error {
	x, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"168h\"", b)
	}
	d.Duration = x
	return nil
}

func (d dur) MarshalText() ([]byte, error) {
	s := d.String()
	if d.Duration%time.Hour == 0 {
		s = fmt.Sprintf("%dh", d.Duration/time.Hour)
	}
	return []byte(s), nil
}

type fileDoc struct {
	Schema     int             `toml:"schema"`
	Name       string          `toml:"name,omitempty"`
	Settings   fileSettings    `toml:"settings"`
	Custodians []fileCustodian `toml:"custodian,omitempty"`
	Holdings   []fileHolding   `toml:"holding,omitempty"`
	Prices     []filePrice     `toml:"price,omitempty"`
	FX         []fileFX        `toml:"fx,omitempty"`
	Wallets    []fileWallet    `toml:"wallet,omitempty"`
	// Registrations follow the wallets.
	Registrations []fileRegistration `toml:"registration,omitempty"`
	Analysis      *fileAnalysis      `toml:"analysis,omitempty"`
	Rebalance     *fileRebalance     `toml:"rebalance,omitempty"`
	// Scenarios are the owner's stress tests.
	Scenarios []fileScenario `toml:"scenario,omitempty"`
}

type fileRegistration struct {
	Descriptor  string `toml:"descriptor"`
	Name        string `toml:"name"`
	Fingerprint string `toml:"fingerprint"`
	Data        string `toml:"data"`
}

type fileWallet struct {
	ID             string         `toml:"id"`
	Name           string         `toml:"name,omitempty"`
	Descriptor     string         `toml:"descriptor"`
	Network        string         `toml:"network"`
	BirthdayHeight int32          `toml:"birthday_height,omitempty"`
	Birthday       toml.LocalDate `toml:"birthday,omitempty"`
	GapLimit       int            `toml:"gap_limit,omitempty"`
	Backend        string         `toml:"backend,omitempty"`
	Server         string         `toml:"server,omitempty"`
	Proxy          string         `toml:"proxy,omitempty"`
	RPCUser        string         `toml:"rpc_user,omitempty"`
	RPCPassword    string         `toml:"rpc_password,omitempty"`
	RPCCookie      string         `toml:"rpc_cookie,omitempty"`
}

type fileSettings struct {
	Unit        string `toml:"unit,omitempty"`
	StaleAfter  *dur   `toml:"stale_after,omitempty"`
	HomeCountry string `toml:"home_country,omitempty"`
}

type fileCustodian struct {
	ID                string `toml:"id"`
	Name              string `toml:"name"`
	Kind              string `toml:"kind"`
	Jurisdiction      string `toml:"jurisdiction"`
	InsuranceCap      *dec   `toml:"insurance_cap,omitempty"`
	InsuranceCurrency string `toml:"insurance_currency,omitempty"`
	Notes             string `toml:"notes,omitempty"`
}

type fileHolding struct {
	ID             string         `toml:"id"`
	Kind           string         `toml:"kind"`
	Name           string         `toml:"name,omitempty"`
	Custodian      string         `toml:"custodian,omitempty"`
	Sats           *int64         `toml:"sats,omitempty"`
	Wallet         string         `toml:"wallet,omitempty"`
	Weight         *dec           `toml:"weight,omitempty"`
	WeightUnit     string         `toml:"weight_unit,omitempty"`
	Fineness       *dec           `toml:"fineness,omitempty"`
	Pieces         int64          `toml:"pieces,omitempty"`
	Form           string         `toml:"form,omitempty"`
	Serial         string         `toml:"serial,omitempty"`
	Ticker         string         `toml:"ticker,omitempty"`
	Shares         *dec           `toml:"shares,omitempty"`
	OzPerShare     *dec           `toml:"oz_per_share,omitempty"`
	OzPerShareDate toml.LocalDate `toml:"oz_per_share_date,omitempty"`
	ExpenseRatio   *dec           `toml:"expense_ratio,omitempty"`
	Issuer         string         `toml:"issuer,omitempty"`
	Symbol         string         `toml:"symbol,omitempty"`
	Units          *dec           `toml:"units,omitempty"`
	AssetClass     string         `toml:"asset_class,omitempty"`
	Currency       string         `toml:"currency,omitempty"`
	Amount         *dec           `toml:"amount,omitempty"`
	Notes          string         `toml:"notes,omitempty"`
	Lots           []fileLot      `toml:"lot,omitempty"`
}

type fileLot struct {
	Date         toml.LocalDate `toml:"date"`
	Quantity     *dec           `toml:"quantity"`
	Cost         *dec           `toml:"cost"`
	CostCurrency string         `toml:"cost_currency"`
}

type filePrice struct {
	Asset    string    `toml:"asset"`
	Value    *dec      `toml:"value"`
	Currency string    `toml:"currency"`
	Time     time.Time `toml:"time"`
	Source   string    `toml:"source,omitempty"`
}

type fileFX struct {
	Base   string    `toml:"base"`
	Quote  string    `toml:"quote"`
	Rate   *dec      `toml:"rate"`
	Time   time.Time `toml:"time"`
	Source string    `toml:"source,omitempty"`
}

func decOf(d *dec) decimal.Decimal {
	if d == nil {
		return decimal.Zero
	}
	return d.Decimal
}

func decPtr(d decimal.Decimal, keep bool) *dec {
	if !keep {
		return nil
	}
	return &dec{d}
}

func dayOf(d toml.LocalDate) time.Time {
	if d == (toml.LocalDate{}) {
		return time.Time{}
	}
	return d.AsTime(time.UTC)
}

func localDate(t time.Time) toml.LocalDate {
	t = t.UTC()
	return toml.LocalDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

// migrations upgrade a decoded document from schema N to N+1. Schema 1 is
// the first released format, so the table is empty; a future format adds
// its step here and bumps SchemaVersion.
var migrations = map[int]func(doc map[string]any) error{}

// Decode parses a portfolio file's content, migrates it to the current
// schema, and validates it. name is the file name used in error messages;
// every error names the file and, where it can be found, the line and field.
//
// The file is parsed once into the current schema's layout; only a file
// whose schema is older is parsed generically and migrated first. The
// line locator is built only when there is an error to place.
func Decode(name string, data []byte) (*Portfolio, error) {
	var doc fileDoc
	err := decodeDoc(data, &doc)
	if err == nil && doc.Schema != SchemaVersion {
		data, err = migrate(name, data)
		if err != nil {
			return nil, err
		}
		doc = fileDoc{}
		err = decodeDoc(data, &doc)
	}
	if err != nil {
		return nil, tomlError(name, data, err)
	}
	p := fromFile(&doc)
	if err := p.Validate(); err != nil {
		loc := newLocator(data)
		es := AsErrors(err)
		for _, e := range es {
			e.File = name
			e.Line = loc.lineOf(e)
		}
		return nil, es
	}
	return p, nil
}

func decodeDoc(data []byte, doc *fileDoc) error {
	// Sizing the big arrays up front spares the decoder growing and
	// copying them table by table.
	doc.Holdings = make([]fileHolding, 0, bytes.Count(data, []byte("[[holding]]")))
	doc.Prices = make([]filePrice, 0, bytes.Count(data, []byte("[[price]]")))
	return toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().EnableUnmarshalerInterface().Decode(doc)
}

// migrate checks the file's schema and upgrades an older one to the
// current layout, returning the migrated content.
func migrate(name string, data []byte) ([]byte, error) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return nil, tomlError(name, data, err)
	}
	schema, err := schemaOf(raw)
	if err != nil {
		return nil, &FieldError{File: name, Line: newLocator(data).find("", -1, -1, "schema"), Section: "settings", Index: -1, Key: "schema", Msg: err.Error()}
	}
	for v := schema; v < SchemaVersion; v++ {
		if err := migrations[v](raw); err != nil {
			return nil, fmt.Errorf("%s: migrating from schema %d: %w", name, v, err)
		}
	}
	raw["schema"] = int64(SchemaVersion)
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(raw); err != nil {
		return nil, fmt.Errorf("%s: migrating: %w", name, err)
	}
	return buf.Bytes(), nil
}

func schemaOf(raw map[string]any) (int, error) {
	v, ok := raw["schema"]
	if !ok {
		return 0, errors.New("missing: the file must say `schema = 1`")
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("must be a whole number, got %v", v)
	}
	if n > SchemaVersion {
		return 0, fmt.Errorf("schema %d is newer than this hardfolio understands (%d): upgrade hardfolio", n, SchemaVersion)
	}
	if n < 1 {
		return 0, fmt.Errorf("schema %d is not a hardfolio schema", n)
	}
	for v := int(n); v < SchemaVersion; v++ {
		if migrations[v] == nil {
			return 0, fmt.Errorf("no migration from schema %d", v)
		}
	}
	return int(n), nil
}

// tomlError turns a TOML syntax, type or unknown-field error into one that
// names the file, line and key.
func tomlError(name string, data []byte, err error) error {
	var ve *valueError
	if errors.As(err, &ve) {
		line := 0
		if ve.offset > 0 && ve.offset <= len(data) {
			line = 1 + bytes.Count(data[:ve.offset], []byte("\n"))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			if l, _ := de.Position(); l > 0 {
				line = l
			}
		}
		if line > 0 {
			return fmt.Errorf("%s:%d: %v", name, line, ve.err)
		}
		return fmt.Errorf("%s: %v", name, ve.err)
	}
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) && len(sm.Errors) > 0 {
		e := sm.Errors[0]
		line, _ := e.Position()
		return fmt.Errorf("%s:%d: %s: unknown field (misspelt?)", name, line, strings.Join(e.Key(), "."))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		key := strings.Join(de.Key(), ".")
		if key == "" {
			key = keyAt(data, line)
		}
		if strings.Contains(msg, "number") || strings.Contains(msg, "expected value") {
			msg += " (text values need quotes: kind = \"cash\")"
		}
		if key != "" {
			msg = key + ": " + msg
		}
		return fmt.Errorf("%s:%d: %s", name, line, msg)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// keyAt names the key set on line n of data, with its table:
// "holding.kind". It returns "" when the line sets no key.
func keyAt(data []byte, n int) string {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	m := reKey().FindStringSubmatch(lines[n-1])
	if m == nil {
		return ""
	}
	m[1] = strings.Trim(m[1], `"'`)
	for i := n - 2; i >= 0; i-- {
		if t := reArrayTable().FindStringSubmatch(lines[i]); t != nil {
			return t[1] + "." + m[1]
		}
		if t := reTable().FindStringSubmatch(lines[i]); t != nil {
			return t[1] + "." + m[1]
		}
	}
	return m[1]
}

func fromFile(doc *fileDoc) *Portfolio {
	p := &Portfolio{Schema: doc.Schema, Name: doc.Name}
	p.Settings = Settings{Unit: Unit(doc.Settings.Unit), HomeCountry: doc.Settings.HomeCountry}
	if doc.Settings.StaleAfter != nil {
		p.Settings.StaleAfter = doc.Settings.StaleAfter.Duration
	}
	if p.Settings.Unit != "" {
		if u, err := ParseUnit(string(p.Settings.Unit)); err == nil {
			p.Settings.Unit = u
		}
	}
	for _, c := range doc.Custodians {
		p.Custodians = append(p.Custodians, Custodian{
			ID: c.ID, Name: c.Name, Kind: CustodyKind(c.Kind), Jurisdiction: c.Jurisdiction,
			InsuranceCap: decOf(c.InsuranceCap), InsuranceCurrency: c.InsuranceCurrency, Notes: c.Notes,
		})
	}
	p.Holdings = make([]Holding, 0, len(doc.Holdings))
	p.Prices = make([]Price, 0, len(doc.Prices))
	for _, f := range doc.Holdings {
		h := Holding{
			ID: f.ID, Kind: Kind(f.Kind), Name: f.Name, Custodian: f.Custodian, Wallet: f.Wallet,
			Weight: decOf(f.Weight), WeightUnit: WeightUnit(f.WeightUnit), Fineness: decOf(f.Fineness),
			Pieces: f.Pieces, Form: GoldForm(f.Form), Serial: f.Serial,
			Ticker: f.Ticker, OzPerShare: decOf(f.OzPerShare), OzPerShareDate: dayOf(f.OzPerShareDate),
			ExpenseRatio: decOf(f.ExpenseRatio), Issuer: f.Issuer, AssetClass: f.AssetClass,
			Currency: f.Currency, Amount: decOf(f.Amount), Notes: f.Notes,
		}
		if f.Sats != nil {
			h.Sats = *f.Sats
		}
		switch h.Kind {
		case KindETF:
			h.Units = decOf(f.Shares)
		case KindOther:
			h.Units = decOf(f.Units)
			h.Ticker = f.Symbol
		}
		for _, l := range f.Lots {
			h.Lots = append(h.Lots, Lot{Date: dayOf(l.Date), Quantity: decOf(l.Quantity), Cost: decOf(l.Cost), CostCurrency: l.CostCurrency})
		}
		p.Holdings = append(p.Holdings, h)
	}
	for _, f := range doc.Prices {
		p.Prices = append(p.Prices, Price{Asset: f.Asset, Value: decOf(f.Value), Currency: f.Currency, Time: f.Time, Source: f.Source})
	}
	for _, w := range doc.Wallets {
		p.Wallets = append(p.Wallets, WalletConfig{
			ID: w.ID, Name: w.Name, Descriptor: w.Descriptor, Network: w.Network,
			BirthdayHeight: w.BirthdayHeight, Birthday: dayOf(w.Birthday), GapLimit: w.GapLimit,
			Backend: Backend{Kind: w.Backend, Server: w.Server, Proxy: w.Proxy, RPCUser: w.RPCUser, RPCPassword: w.RPCPassword, RPCCookie: w.RPCCookie},
		})
	}
	for _, r := range doc.Registrations {
		p.Registrations = append(p.Registrations, Registration(r))
	}
	for _, f := range doc.FX {
		p.FX = append(p.FX, FXRate{Base: f.Base, Quote: f.Quote, Rate: decOf(f.Rate), Time: f.Time, Source: f.Source})
	}
	p.Analysis = analysisFromFile(doc.Analysis)
	p.Rebalance = rebalanceFromFile(doc.Rebalance)
	p.Scenarios = scenariosFromFile(doc.Scenarios)
	return p
}

func toFile(p *Portfolio) *fileDoc {
	doc := &fileDoc{Schema: SchemaVersion, Name: p.Name}
	doc.Settings = fileSettings{Unit: string(p.Settings.Unit), HomeCountry: p.Settings.HomeCountry}
	if p.Settings.StaleAfter > 0 {
		doc.Settings.StaleAfter = &dur{p.Settings.StaleAfter}
	}
	for _, c := range p.Custodians {
		doc.Custodians = append(doc.Custodians, fileCustodian{
			ID: c.ID, Name: c.Name, Kind: string(c.Kind), Jurisdiction: c.Jurisdiction,
			InsuranceCap: decPtr(c.InsuranceCap, !c.InsuranceCap.IsZero()), InsuranceCurrency: c.InsuranceCurrency, Notes: c.Notes,
		})
	}
	for _, h := range p.Holdings {
		f := fileHolding{ID: h.ID, Kind: string(h.Kind), Name: h.Name, Custodian: h.Custodian, Notes: h.Notes}
		switch h.Kind {
		case KindBTC:
			sats := h.Sats
			f.Sats = &sats
			f.Wallet = h.Wallet
		case KindGold:
			f.Weight, f.WeightUnit, f.Fineness = &dec{h.Weight}, string(h.WeightUnit), &dec{h.Fineness}
			f.Pieces, f.Form, f.Serial = h.Pieces, string(h.Form), h.Serial
		case KindETF:
			f.Ticker, f.Shares, f.OzPerShare = h.Ticker, &dec{h.Units}, &dec{h.OzPerShare}
			if !h.OzPerShareDate.IsZero() {
				f.OzPerShareDate = localDate(h.OzPerShareDate)
			}
			f.ExpenseRatio, f.Issuer = &dec{h.ExpenseRatio}, h.Issuer
		case KindCash:
			f.Currency, f.Amount = h.Currency, &dec{h.Amount}
		case KindOther:
			f.Symbol, f.Units, f.AssetClass = h.Ticker, &dec{h.Units}, h.AssetClass
		}
		for _, l := range h.Lots {
			f.Lots = append(f.Lots, fileLot{Date: localDate(l.Date), Quantity: &dec{l.Quantity}, Cost: &dec{l.Cost}, CostCurrency: l.CostCurrency})
		}
		doc.Holdings = append(doc.Holdings, f)
	}
	for _, pr := range p.Prices {
		t := pr.Time.UTC()
		doc.Prices = append(doc.Prices, filePrice{Asset: pr.Asset, Value: &dec{pr.Value}, Currency: pr.Currency, Time: t, Source: pr.Source})
	}
	for _, w := range p.Wallets {
		fw := fileWallet{ID: w.ID, Name: w.Name, Descriptor: w.Descriptor, Network: w.Network,
			BirthdayHeight: w.BirthdayHeight, GapLimit: w.GapLimit,
			Backend: w.Backend.Kind, Server: w.Backend.Server, Proxy: w.Backend.Proxy,
			RPCUser: w.Backend.RPCUser, RPCPassword: w.Backend.RPCPassword, RPCCookie: w.Backend.RPCCookie}
		if !w.Birthday.IsZero() {
			fw.Birthday = localDate(w.Birthday)
		}
		doc.Wallets = append(doc.Wallets, fw)
	}
	for _, r := range p.Registrations {
		doc.Registrations = append(doc.Registrations, fileRegistration(r))
	}
	for _, fx := range p.FX {
		t := fx.Time.UTC()
		doc.FX = append(doc.FX, fileFX{Base: fx.Base, Quote: fx.Quote, Rate: &dec{fx.Rate}, Time: t, Source: fx.Source})
	}
	doc.Analysis = analysisToFile(&p.Analysis)
	doc.Rebalance = rebalanceToFile(&p.Rebalance)
	doc.Scenarios = scenariosToFile(p.Scenarios)
	return doc
}

const fileHeader = `# hardfolio portfolio. Edit with "hardfolio edit" so it is checked before it is saved.
# Decimals are written as strings ('0.9999') and read exactly; dates are YYYY-MM-DD.

`

// Encode writes p in the file format. It validates first and refuses to
// encode an invalid portfolio, so an invalid file is never written.
func Encode(p *Portfolio) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	enc := toml.NewEncoder(&buf).SetIndentTables(false)
	if err := enc.Encode(toFile(p)); err != nil {
		return nil, fmt.Errorf("encoding portfolio: %w", err)
	}
	return buf.Bytes(), nil
}

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// locator finds the line of a field in the file text, so validation errors
// can point at it. It understands the subset of TOML the file uses: array
// tables ([[holding]], [[holding.lot]]), tables ([settings]) and key = value
// lines.
type locator struct {
	lines map[locKey]int
	first map[string]int // "section.key" -> first line
}

type locKey struct {
	section       string
	index, parent int
	key           string
}

var (
	// The line patterns are compiled on first use: they serve only error
	// messages, and compiling them at start-up would cost every run.
	reArrayTable = lazyRegexp(`^\s*\[\[\s*([A-Za-z0-9_.]+)\s*\]\]`)
	reTable      = lazyRegexp(`^\s*\[\s*([A-Za-z0-9_.]+)\s*\]`)
	reKey        = lazyRegexp(`^\s*([A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*=`)
)

func newLocator(data []byte) *locator {
	l := &locator{lines: map[locKey]int{}, first: map[string]int{}}
	count := map[string]int{}
	section, index, parent := "", -1, -1
	for n, line := range strings.Split(string(data), "\n") {
		ln := n + 1
		if m := reArrayTable().FindStringSubmatch(line); m != nil {
			name := m[1]
			if name == "holding.lot" {
				section, index = "lot", count["lot"]
				parent = count["holding"] - 1
				count["lot"]++
			} else if name == "scenario.move" || name == "scenario.event" {
				section, index = name, count[name]
				parent = count["scenario"] - 1
				count[name]++
			} else {
				section, index, parent = name, count[name], -1
				count[name]++
				if name == "holding" {
					count["lot"] = 0
				}
				if name == "scenario" {
					count["scenario.move"], count["scenario.event"] = 0, 0
				}
			}
			l.lines[locKey{section, index, parent, ""}] = ln
			continue
		}
		if m := reTable().FindStringSubmatch(line); m != nil {
			section, index, parent = m[1], -1, -1
			l.lines[locKey{section, index, parent, ""}] = ln
			continue
		}
		if m := reKey().FindStringSubmatch(line); m != nil {
			m[1] = strings.Trim(m[1], `"'`)
			k := locKey{section, index, parent, m[1]}
			if _, ok := l.lines[k]; !ok {
				l.lines[k] = ln
			}
			if _, ok := l.first[section+"."+m[1]]; !ok {
				l.first[section+"."+m[1]] = ln
			}
		}
	}
	return l
}

func (l *locator) find(section string, index, parent int, key string) int {
	if ln, ok := l.lines[locKey{section, index, parent, key}]; ok {
		return ln
	}
	return l.lines[locKey{section, index, parent, ""}]
}

// lineOf maps a validation error to its line: the field's own line, or the
// entry's header when the field is missing.
func (l *locator) lineOf(e *FieldError) int {
	section := e.Section
	if section == "settings" {
		return l.find("settings", -1, -1, e.Key)
	}
	return l.find(section, e.Index, e.Parent, e.Key)
}
