// Package keys is the one keymap of the terminal interface. Screens match
// key presses against these bindings and list them in their help, so the
// help overlay, the short help line and the tests all follow this file:
// rebinding a key here changes all of them.
package keys

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyMap holds every binding, grouped by where it acts.
type KeyMap struct {
	// Everywhere (outside text entry).
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding
	NextTab   key.Binding
	PrevTab   key.Binding
	Screens   key.Binding    // help entry for the number keys below
	Screen    [9]key.Binding // jump to screen 1..9
	NextUnit  key.Binding
	PrevUnit  key.Binding
	PickUnit  key.Binding
	Undo      key.Binding

	// Moving around a list or a page.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding

	// Holdings.
	Add         key.Binding
	Edit        key.Binding
	Delete      key.Binding
	Sort        key.Binding
	Reverse     key.Binding
	Filter      key.Binding
	ClearFilter key.Binding

	// Wallets.
	NextWallet    key.Binding
	PrevWallet    key.Binding
	ViewReceive   key.Binding
	ViewAddresses key.Binding
	ViewUTXOs     key.Binding
	ViewHistory   key.Binding
	SyncWallet    key.Binding
	Send          key.Binding

	// Devices.
	ImportAccount key.Binding
	VerifyAddress key.Binding

	// Monte Carlo.
	EditLimits key.Binding
	SimPolicy  key.Binding
	SimLonger  key.Binding
	SimShorter key.Binding
	SimLater   key.Binding
	SimEarlier key.Binding
	SimReseed  key.Binding
	SimBTC     key.Binding
	SimStop    key.Binding

	// Rebalance.
	RebalTargets key.Binding
	RebalWhatIf  key.Binding
	RebalDiscard key.Binding
	RebalApply   key.Binding
	RebalSave    key.Binding
	RebalOpen    key.Binding
	RebalDelete  key.Binding
	RebalCosts   key.Binding
	RebalToBand  key.Binding
	// Stress.
	NextScenario   key.Binding
	PrevScenario   key.Binding
	AddScenario    key.Binding
	EditScenario   key.Binding
	DeleteScenario key.Binding

	// The send form.
	AddRecipient    key.Binding
	RemoveRecipient key.Binding
	ToggleCoin      key.Binding
	SignOnDevice    key.Binding // on the built PSBT's summary

	// Forms and prompts.
	NextField  key.Binding
	PrevField  key.Binding
	NextOption key.Binding
	PrevOption key.Binding
	Submit     key.Binding
	Accept     key.Binding
	Cancel     key.Binding

	// Yes/no questions.
	Yes key.Binding
	No  key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() *KeyMap {
	km := &KeyMap{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit at once")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		NextTab:   key.NewBinding(key.WithKeys("tab", "right", "l"), key.WithHelp("tab/→", "next screen")),
		PrevTab:   key.NewBinding(key.WithKeys("shift+tab", "left", "h"), key.WithHelp("shift+tab/←", "previous screen")),
		Screens:   key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-8", "go to screen")),
		NextUnit:  key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "next valuation unit")),
		PrevUnit:  key.NewBinding(key.WithKeys("V"), key.WithHelp("V", "previous valuation unit")),
		PickUnit:  key.NewBinding(key.WithKeys("$"), key.WithHelp("$", "type a unit (ISO 4217)")),
		Undo:      key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo last change")),

		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", " "), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "bottom")),

		Add:         key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add")),
		Edit:        key.NewBinding(key.WithKeys("e", "enter"), key.WithHelp("e/enter", "edit")),
		Delete:      key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "delete")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Reverse:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reverse")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),

		NextWallet:    key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next wallet")),
		PrevWallet:    key.NewBinding(key.WithKeys("["), key.WithHelp("[", "previous wallet")),
		ViewReceive:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "receive address and QR code")),
		ViewAddresses: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "addresses")),
		ViewUTXOs:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "coins (UTXOs)")),
		ViewHistory:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "transaction history")),
		SyncWallet:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sync wallet (esc cancels)")),
		Send:          key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pay / send (a PSBT to sign on the device or elsewhere)")),

		ImportAccount: key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "import an account from the device")),
		VerifyAddress: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "show the receive address on the device (esc cancels)")),

		EditLimits: key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "edit the warning limits")),
		SimPolicy:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "rebalancing: annual, bands, none")),
		SimLonger:  key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "horizon 5 years longer")),
		SimShorter: key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "horizon 5 years shorter")),
		SimLater:   key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "draw from history a year later")),
		SimEarlier: key.NewBinding(key.WithKeys("["), key.WithHelp("[", "draw from history a year earlier")),
		SimReseed:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "run again with a new seed")),
		SimBTC:     key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "bitcoin: history, or 20, 10, 5, 0% a year at 50% volatility")),
		SimStop:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop the run")),

		RebalTargets: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "set the targets and band")),
		RebalWhatIf:  key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "what-if: type trades to try on a copy")),
		RebalDiscard: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "discard the what-if (back to the plan)")),
		RebalApply:   key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "apply the plan or what-if to the portfolio (u undoes)")),
		RebalSave:    key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "save the what-if under a name")),
		RebalOpen:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open the next saved what-if")),
		RebalDelete:  key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete the saved what-if on screen (u undoes)")),
		RebalToBand:  key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "plan fully to target, or only to the band's edge")),
		RebalCosts:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "set the costs per venue, minimum trade, never-sell")),

		NextScenario:   key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next scenario")),
		PrevScenario:   key.NewBinding(key.WithKeys("["), key.WithHelp("[", "previous scenario")),
		AddScenario:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add your own")),
		EditScenario:   key.NewBinding(key.WithKeys("e", "enter"), key.WithHelp("e/enter", "edit (a built-in one: a copy)")),
		DeleteScenario: key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "delete your scenario")),

		AddRecipient:    key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "add a recipient")),
		RemoveRecipient: key.NewBinding(key.WithKeys("ctrl+x"), key.WithHelp("ctrl+x", "remove this recipient")),
		ToggleCoin:      key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "pick or unpick a coin")),
		SignOnDevice:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sign the built PSBT on the hardware wallet (esc cancels)")),

		NextField:  key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
		PrevField:  key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
		NextOption: key.NewBinding(key.WithKeys("right", " "), key.WithHelp("→/space", "next choice")),
		PrevOption: key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "previous choice")),
		Submit:     key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save")),
		Accept:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "accept")),
		Cancel:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),

		Yes: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:  key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no")),
	}
	for i := range km.Screen {
		d := string(rune('1' + i))
		km.Screen[i] = key.NewBinding(key.WithKeys(d), key.WithHelp(d, "go to screen "+d))
	}
	return km
}

// Global lists the bindings that work on every screen, for help.
func (km *KeyMap) Global() []key.Binding {
	return []key.Binding{km.NextTab, km.PrevTab, km.Screens, km.NextUnit, km.PrevUnit, km.PickUnit, km.Undo, km.Help, km.Quit}
}

// Navigation lists the movement bindings, for help.
func (km *KeyMap) Navigation() []key.Binding {
	return []key.Binding{km.Up, km.Down, km.PageUp, km.PageDown, km.Top, km.Bottom}
}

// Wallets lists the bindings of the Wallets screen, for help.
func (km *KeyMap) Wallets() []key.Binding {
	return []key.Binding{km.NextWallet, km.PrevWallet, km.ViewReceive, km.ViewAddresses, km.ViewUTXOs, km.ViewHistory, km.SyncWallet, km.Send}
}

// Devices lists the bindings of the Devices screen, for help.
func (km *KeyMap) Devices() []key.Binding {
	return []key.Binding{km.ImportAccount, km.VerifyAddress, km.NextWallet, km.PrevWallet}
}

// MonteCarlo lists the bindings of the Monte Carlo screen, for help.
func (km *KeyMap) MonteCarlo() []key.Binding {
	return []key.Binding{km.SimPolicy, km.SimLonger, km.SimShorter, km.SimLater, km.SimEarlier, km.SimBTC, km.SimReseed, km.SimStop}
}

// Rebalance lists the bindings of the Rebalance screen, for help.
func (km *KeyMap) Rebalance() []key.Binding {
	return []key.Binding{km.RebalTargets, km.RebalCosts, km.RebalToBand, km.RebalWhatIf, km.RebalDiscard, km.RebalSave, km.RebalOpen, km.RebalDelete, km.RebalApply}
}

// Stress lists the bindings of the Stress screen, for help.
func (km *KeyMap) Stress() []key.Binding {
	return []key.Binding{km.NextScenario, km.PrevScenario, km.AddScenario, km.EditScenario, km.DeleteScenario}
}

// SendForm lists the bindings of the send form beyond those of every
// form, for help.
func (km *KeyMap) SendForm() []key.Binding {
	return []key.Binding{km.AddRecipient, km.RemoveRecipient, km.ToggleCoin, km.SignOnDevice}
}

// Press returns the key message that the binding's first key sends, so
// tests and scripted sessions can press a binding by name.
func Press(b key.Binding) tea.KeyMsg {
	ks := b.Keys()
	if len(ks) == 0 {
		return tea.KeyMsg{}
	}
	return KeyMsg(ks[0])
}

// KeyMsg returns the key message whose String is s ("a", "ctrl+s",
// "shift+tab", "alt+x", "enter", " "...).
func KeyMsg(s string) tea.KeyMsg {
	alt := false
	if rest, ok := strings.CutPrefix(s, "alt+"); ok && len(rest) > 0 {
		alt, s = true, rest
	}
	if t, ok := keyTypes()[s]; ok {
		msg := tea.KeyMsg{Type: t, Alt: alt}
		if t == tea.KeySpace {
			msg.Runes = []rune{' '}
		}
		return msg
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Alt: alt}
}

// keyTypes maps the names bubbletea gives special keys back to their
// types, from KeyType.String.
func keyTypes() map[string]tea.KeyType {
	m := make(map[string]tea.KeyType, 128)
	for t := tea.KeyType(-200); t < 200; t++ {
		if t == tea.KeyRunes {
			continue
		}
		if name := t.String(); name != "" {
			if _, dup := m[name]; !dup {
				m[name] = t
			}
		}
	}
	return m
}

// Section is a named group of bindings for documentation.
type Section struct {
	Name     string
	Bindings []key.Binding
}

// Sections lists every binding by where it acts, for the help overlay's
// full view and the README's key cheatsheet.
func (km *KeyMap) Sections() []Section {
	return []Section{
		{"Everywhere", append(km.Global(), km.ForceQuit)},
		{"Lists and pages", km.Navigation()},
		{"Holdings", []key.Binding{km.Add, km.Edit, km.Delete, km.Sort, km.Reverse, km.Filter, km.ClearFilter}},
		{"Wallets", km.Wallets()},
		{"Send form", km.SendForm()},
		{"Devices", km.Devices()},
		{"Analysis", []key.Binding{km.EditLimits}},
		{"Stress", km.Stress()},
		{"Monte Carlo", km.MonteCarlo()},
		{"Rebalance", km.Rebalance()},
		{"Forms", []key.Binding{km.NextField, km.PrevField, km.NextOption, km.PrevOption, km.Submit, km.Accept, km.Cancel}},
		{"Questions", []key.Binding{km.Yes, km.No}},
	}
}

// Cheatsheet renders the key bindings as a Markdown table per section.
func (km *KeyMap) Cheatsheet() string {
	var b strings.Builder
	for _, s := range km.Sections() {
		b.WriteString("| " + s.Name + " | |\n|---|---|\n")
		for _, k := range s.Bindings {
			h := k.Help()
			if h.Key == "" {
				continue
			}
			b.WriteString("| `" + h.Key + "` | " + h.Desc + " |\n")
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
