package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Rows the chrome takes: the header, the tabs and their rule above the
// screen; the status line and the key hints below.
const (
	chromeTop    = 3
	chromeBottom = 2
)

// Model is the root model: it routes messages to the screens and draws the
// chrome around the active one.
type Model struct {
	ctx  *common.Context
	opts Options

	screens []common.Screen
	active  int
	seen    []screenState // what each screen was last laid out for

	// Valuation requests: gen numbers them, and a reply older than the
	// latest request is dropped. wantUnit is the unit last asked for.
	gen      int
	wantUnit portfolio.Unit

	// undo holds the portfolios before each change, newest last.
	undo []undoEntry

	status      string
	statusLevel common.Level

	help       help.Model
	showHelp   bool
	helpLines  []string
	helpOffset int

	prompt    textinput.Model
	promptOn  bool
	promptErr string

	tabs  []tabSpan
	frame string

	memoHeader, memoTabs, memoKeys memoized
	quit                           bool
	quitAfterSave                  bool // quit was pressed during a save
}

type screenState struct {
	w, h int
	snap *common.Snapshot
}

type undoEntry struct {
	prev *portfolio.Portfolio
	desc string
}

type tabSpan struct{ x0, x1 int }

// Init quits at once when asked to draw a single frame: the program draws
// the initial view before it handles the quit.
func (m *Model) Init() tea.Cmd {
	if m.opts.ExitAfterFirstFrame && m.ctx.Width > 0 {
		m.quit = true
		return tea.Quit
	}
	return nil
}

// View returns the frame the last Update drew.
func (m *Model) View() string { return m.frame }

// Context returns the shared context, for tests.
func (m *Model) Context() *common.Context { return m.ctx }

// Screen returns the screen at index i, for tests.
func (m *Model) Screen(i int) common.Screen { return m.screens[i] }

// Active returns the index of the screen on view.
func (m *Model) Active() int { return m.active }

// Status returns the status line's message.
func (m *Model) Status() string { return m.status }

// Portfolio is the portfolio on screen.
func (m *Model) Portfolio() *portfolio.Portfolio { return m.ctx.Portfolio() }

// Snapshot is the valuation on screen.
func (m *Model) Snapshot() *common.Snapshot { return m.ctx.Snap }

// CanUndo reports whether there is a change to undo.
func (m *Model) CanUndo() bool { return len(m.undo) > 0 }

// Update routes a message and redraws.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.render()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		// A terminal that does not know its size says 0x0: keep the size
		// assumed at start.
		var cmd tea.Cmd
		if msg.Width > 0 && msg.Height > 0 {
			cmd = m.setSize(msg.Width, msg.Height)
		}
		if m.opts.ExitAfterFirstFrame && !m.quit {
			m.quit = true
			return tea.Quit
		}
		return cmd
	case tea.KeyMsg:
		return m.key(msg)
	case tea.MouseMsg:
		return m.mouse(msg)
	case common.ValuedMsg:
		if msg.Gen == m.gen {
			m.ctx.Snap = msg.Snap
			return m.refresh()
		}
		return nil
	case common.SaveRequestMsg:
		return m.save(msg, false)
	case common.SavedMsg:
		return m.saved(msg)
	case common.StatusMsg:
		m.status, m.statusLevel = msg.Text, msg.Level
		return nil
	case common.Owned:
		return m.deliver(msg)
	}
	return m.forward(msg)
}

// deliver sends a message of background work to the screen that owns it,
// shown or not, so that switching tabs never loses a result or breaks a
// chain of progress reports.
func (m *Model) deliver(msg common.Owned) tea.Cmd {
	for _, s := range m.screens {
		if s.Title() == msg.Owner() {
			_, cmd := s.Update(msg)
			return cmd
		}
	}
	return nil
}

// setSize gives the active screen the area between the chrome. The
// others get it when they are shown (see sync): laying out screens nobody
// looks at would only slow start-up and resizing. The command is the
// screen's own loading, if any (see common.Loader).
func (m *Model) setSize(w, h int) tea.Cmd {
	m.ctx.Width, m.ctx.Height = w, h
	m.help.Width = w - 2
	m.prompt.Width = max(8, w-40)
	cmd := m.sync(m.active)
	if m.showHelp {
		m.layoutHelp()
	}
	return cmd
}

func (m *Model) contentHeight() int { return max(1, m.ctx.Height-chromeTop-chromeBottom) }

// refresh brings the active screen up to date with a new snapshot; the
// others catch up when shown.
func (m *Model) refresh() tea.Cmd {
	cmd := m.sync(m.active)
	if m.showHelp {
		m.layoutHelp()
	}
	return cmd
}

// sync gives screen i the current size and snapshot if it has not seen
// them yet, and returns the command that loads the screen's own data
// (see common.Loader).
func (m *Model) sync(i int) tea.Cmd {
	if m.ctx.Width <= 0 {
		return nil
	}
	st := &m.seen[i]
	s := m.screens[i]
	w, h := m.ctx.Width, m.contentHeight()
	if st.w != w || st.h != h {
		st.w, st.h = w, h
		s.SetSize(w, h)
	}
	if st.snap != m.ctx.Snap {
		st.snap = m.ctx.Snap
		s.Refresh()
	}
	if l, ok := s.(common.Loader); ok {
		return l.Load()
	}
	return nil
}

// forward sends a message to the active screen.
func (m *Model) forward(msg tea.Msg) tea.Cmd {
	_, cmd := m.screens[m.active].Update(msg)
	return cmd
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	km := m.ctx.Keys
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
		// Keys typed faster than they are read arrive together ("/gold"):
		// handle them one by one, as each may change where the next goes.
		cmds := make([]tea.Cmd, 0, len(msg.Runes))
		for _, r := range msg.Runes {
			cmds = append(cmds, m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		}
		return tea.Batch(cmds...)
	}
	if key.Matches(msg, km.ForceQuit) {
		m.quit = true
		return tea.Quit
	}
	m.status = ""
	switch {
	case m.promptOn:
		return m.promptKey(msg)
	case m.showHelp:
		switch {
		case key.Matches(msg, km.Help), key.Matches(msg, km.Cancel), key.Matches(msg, km.Quit):
			m.showHelp = false
		case key.Matches(msg, km.Up):
			m.scrollHelp(-1)
		case key.Matches(msg, km.Down):
			m.scrollHelp(1)
		case key.Matches(msg, km.PageUp):
			m.scrollHelp(-m.contentHeight())
		case key.Matches(msg, km.PageDown):
			m.scrollHelp(m.contentHeight())
		}
		return nil
	case m.screens[m.active].Capturing():
		return m.forward(msg)
	}
	switch {
	case key.Matches(msg, km.Quit):
		if m.ctx.Saving {
			// Let the save finish, then quit (see saved).
			m.quitAfterSave = true
			m.status, m.statusLevel = "Finishing the save, then quitting…", common.Info
			return nil
		}
		m.quit = true
		return tea.Quit
	case key.Matches(msg, km.Help):
		m.showHelp = true
		m.helpOffset = 0
		m.layoutHelp()
		return nil
	case key.Matches(msg, km.NextTab):
		return m.activate((m.active + 1) % len(m.screens))
	case key.Matches(msg, km.PrevTab):
		return m.activate((m.active - 1 + len(m.screens)) % len(m.screens))
	case key.Matches(msg, km.NextUnit):
		return m.cycleUnit(1)
	case key.Matches(msg, km.PrevUnit):
		return m.cycleUnit(-1)
	case key.Matches(msg, km.PickUnit):
		m.promptOn = true
		m.promptErr = ""
		m.prompt.SetValue("")
		return m.prompt.Focus()
	case key.Matches(msg, km.Undo):
		return m.undoLast()
	}
	for i := range m.screens {
		if key.Matches(msg, km.Screen[i]) {
			return m.activate(i)
		}
	}
	return m.forward(msg)
}

func (m *Model) activate(i int) tea.Cmd {
	m.active = i
	return m.sync(i)
}

func (m *Model) mouse(msg tea.MouseMsg) tea.Cmd {
	if m.showHelp || m.promptOn {
		return nil
	}
	if msg.Y == 1 && msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress {
		for i, t := range m.tabs {
			if msg.X >= t.x0 && msg.X < t.x1 {
				if !m.screens[m.active].Capturing() {
					return m.activate(i)
				}
				return nil
			}
		}
		return nil
	}
	msg.Y -= chromeTop
	if msg.Y < 0 && !tea.MouseEvent(msg).IsWheel() {
		return nil
	}
	return m.forward(msg)
}

// ---- valuation unit ---------------------------------------------------------

// Units lists the valuation units the unit key cycles through: the
// portfolio's default, USD, EUR, CHF, gold, bitcoin and sats, every
// currency the portfolio holds or quotes, and any unit typed at the
// prompt.
func (m *Model) Units() []portfolio.Unit {
	p := m.ctx.Portfolio()
	seen := map[portfolio.Unit]bool{}
	var out []portfolio.Unit
	add := func(u portfolio.Unit) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	add(p.DefaultUnit())
	for _, u := range []portfolio.Unit{"USD", "EUR", "CHF", portfolio.UnitXAU, portfolio.UnitBTC, portfolio.UnitSat} {
		add(u)
	}
	for _, h := range p.Holdings {
		if h.Kind == portfolio.KindCash {
			add(portfolio.Unit(h.Currency))
		}
	}
	for _, pr := range p.Prices {
		add(portfolio.Unit(pr.Currency))
	}
	for _, fx := range p.FX {
		add(portfolio.Unit(fx.Base))
		add(portfolio.Unit(fx.Quote))
	}
	add(m.wantUnit)
	return out
}

func (m *Model) cycleUnit(dir int) tea.Cmd {
	us := m.Units()
	i := 0
	for j, u := range us {
		if u == m.wantUnit {
			i = j
		}
	}
	return m.setUnit(us[(i+dir+len(us))%len(us)])
}

// setUnit asks for the portfolio valued in u.
func (m *Model) setUnit(u portfolio.Unit) tea.Cmd {
	m.wantUnit = u
	m.gen++
	return common.Valuate(m.gen, m.ctx.Portfolio(), u, m.ctx.Now())
}

// Valuing reports whether a valuation is under way.
func (m *Model) Valuing() bool { return m.wantUnit != m.ctx.Unit() }

func (m *Model) initPrompt() {
	st := m.ctx.Styles
	ti := textinput.New()
	ti.Prompt = "Value in: "
	ti.Placeholder = "ISO 4217 code (JPY, GBP…), XAU, BTC or sats"
	ti.CharLimit = 12
	common.StyleInput(&ti, st)
	ti.PromptStyle = st.Text.Title
	m.prompt = ti
}

func (m *Model) promptKey(msg tea.KeyMsg) tea.Cmd {
	km := m.ctx.Keys
	switch {
	case key.Matches(msg, km.Cancel):
		m.promptOn = false
		m.prompt.Blur()
		return nil
	case key.Matches(msg, km.Accept):
		u, err := portfolio.ParseUnit(m.prompt.Value())
		if err != nil {
			m.promptErr = err.Error()
			return nil
		}
		m.promptOn = false
		m.prompt.Blur()
		return m.setUnit(u)
	}
	var cmd tea.Cmd
	m.prompt, cmd = m.prompt.Update(msg)
	m.promptErr = ""
	return cmd
}

// ---- saving and undo --------------------------------------------------------

// save runs a save a screen asked for (or an undo) in a command. Only one
// save runs at a time; the book is touched by that command alone.
func (m *Model) save(req common.SaveRequestMsg, undo bool) tea.Cmd {
	if why := m.ctx.EditBlocked(); why != "" {
		m.status, m.statusLevel = why, common.Warn
		err := fmt.Errorf("%s", why)
		return func() tea.Msg {
			return common.SavedMsg{ID: req.ID, Err: err, Undo: undo, Desc: req.Desc, Refused: true}
		}
	}
	m.ctx.Saving = true
	m.gen++
	return common.Save(m.ctx.Book, req, m.ctx.Portfolio(), undo, m.gen, m.wantUnit, m.ctx.Now())
}

func (m *Model) saved(msg common.SavedMsg) tea.Cmd {
	if msg.Snap == nil && msg.Err == nil {
		return nil
	}
	if !msg.Refused {
		m.ctx.Saving = false
	}
	var cmd tea.Cmd
	if msg.Refused {
		// The status line already says why.
	} else if msg.Err != nil {
		m.status, m.statusLevel = "Not saved: "+firstLine(msg.Err.Error()), common.Error
	} else {
		if msg.Undo {
			m.undo = m.undo[:len(m.undo)-1]
			m.status = "Undone: " + msg.Desc
		} else {
			m.undo = append(m.undo, undoEntry{prev: msg.Prev, desc: msg.Desc})
			m.status = msg.Desc + " · " + m.ctx.Keys.Undo.Help().Key + " undoes"
		}
		m.statusLevel = common.Info
		m.ctx.Snap = msg.Snap
		if msg.Gen != m.gen || msg.Snap.Unit != m.wantUnit {
			// The unit changed while saving: value the new portfolio in it.
			cmd = m.setUnit(m.wantUnit)
		} else {
			m.gen++ // drop valuations of the old portfolio still under way
		}
		cmd = tea.Batch(cmd, m.refresh())
	}
	for _, s := range m.screens {
		s.Update(msg)
	}
	if m.quitAfterSave && !m.ctx.Saving {
		m.quit = true
		return tea.Quit
	}
	return cmd
}

func (m *Model) undoLast() tea.Cmd {
	if why := m.ctx.EditBlocked(); why != "" {
		m.status, m.statusLevel = why, common.Warn
		return nil
	}
	if len(m.undo) == 0 {
		m.status, m.statusLevel = "Nothing to undo", common.Info
		return nil
	}
	e := m.undo[len(m.undo)-1]
	return m.save(common.SaveRequestMsg{ID: m.ctx.NextID(), Next: e.prev, Desc: e.desc}, true)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " (and more)"
	}
	return s
}
