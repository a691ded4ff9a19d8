// Package montecarlo is the Monte Carlo screen: the current allocation's
// future simulated by block bootstrap of the bundled history, drawn as a
// percentile fan in the terminal, with the real-loss probabilities, CVaR
// 95% and the median maximum drawdown, as `hardfolio montecarlo` reports
// them.
//
// A run takes a few tenths of a second on the default 10,000 paths; it
// runs in a command that reports progress, can be stopped with esc, and
// starts again whenever the portfolio, the unit or a setting changes.
package montecarlo

import (
	"context"
	"fmt"
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/montecarlo"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Title is the screen's tab label, and the owner of its messages.
const Title = "Monte Carlo"

// Settings are what the user can change on the screen.
type Settings struct {
	Years  int
	Paths  int
	Seed   uint64
	Policy montecarlo.Policy
	// Later moves the first month of history drawn from by this many
	// years after the first the assets share.
	Later int
	// BTCExpect, when BTCExpected is set, is the growth a year, in
	// percent, bitcoin is given instead of its history's
	// (montecarlo.Config.Expect), with btcVolatility.
	BTCExpect   int
	BTCExpected bool
}

// btcVolatility is the annualised volatility bitcoin is given with an
// expected growth of one's own: calmer than its months since 2012 (about
// 87%), whose early swings would otherwise still dominate the paths.
const btcVolatility = 0.50

// btcSteps is the order the bitcoin key cycles through after the
// history: expected growths in percent a year.
var btcSteps = []int{20, 10, 5, 0}

// nextBTC moves s to the next bitcoin assumption.
func (s *Settings) nextBTC() {
	if !s.BTCExpected {
		s.BTCExpected, s.BTCExpect = true, btcSteps[0]
		return
	}
	for i, p := range btcSteps {
		if p == s.BTCExpect && i+1 < len(btcSteps) {
			s.BTCExpect = btcSteps[i+1]
			return
		}
	}
	s.BTCExpected, s.BTCExpect = false, 0
}

// DefaultSettings are the settings the screen opens with, the same as
// `hardfolio montecarlo`'s defaults.
func DefaultSettings() Settings {
	return Settings{Years: 30, Paths: 10_000, Seed: 1, Policy: montecarlo.Annual}
}

// policies is the order the policy key cycles through.
var policies = []montecarlo.Policy{montecarlo.Annual, montecarlo.Bands, montecarlo.None}

// Model is the Monte Carlo screen.
type Model struct {
	*common.Context
	settings Settings

	gen     int
	job     *job
	asked   *common.Snapshot // the snapshot and settings of the latest run started
	askedAs Settings
	res     *montecarlo.Result
	plan    *montecarlo.Plan
	of      *common.Snapshot // the snapshot res is of
	err     error
	stopped bool // the user stopped the latest run
	// common is the history window the allocation's assets share, from
	// the latest run: it bounds Later.
	commonFrom, commonTo history.Month

	width int
	pager common.Pager
	paint common.Paints
}

// New returns the Monte Carlo screen with the default settings.
func New(ctx *common.Context) *Model {
	return &Model{Context: ctx, settings: DefaultSettings(), paint: common.NewPaints(ctx.Styles)}
}

// job is a run under way: its goroutine reports progress and the result
// through a common.Job.
type job struct {
	*common.Job[progressMsg, doneMsg]
	gen    int
	cancel context.CancelFunc
	paths  int
	last   int // paths done, as last reported
}

type progressMsg struct {
	gen, done int
}

type doneMsg struct {
	gen                  int
	snap                 *common.Snapshot
	plan                 *montecarlo.Plan
	res                  *montecarlo.Result
	err                  error
	commonFrom, commonTo history.Month
}

func (progressMsg) Owner() string { return Title }
func (doneMsg) Owner() string     { return Title }

// Init does nothing: the root calls Load when the screen is shown.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return Title }

// Capturing is always false: the screen takes no text.
func (m *Model) Capturing() bool { return false }

// SetSize lays the screen out again.
func (m *Model) SetSize(width, height int) {
	m.width, m.pager.Height = width, height
	m.layout()
}

// Refresh lays the screen out for a new snapshot; Load then runs again.
func (m *Model) Refresh() { m.layout() }

// Settings returns the settings in force.
func (m *Model) Settings() Settings { return m.settings }

// Result returns the simulation on screen, or nil.
func (m *Model) Result() *montecarlo.Result { return m.res }

// Running reports whether a run is under way.
func (m *Model) Running() bool { return m.job != nil }

// Load starts a run for the snapshot and settings on screen unless one is
// done, under way, or was stopped by the user.
func (m *Model) Load() tea.Cmd {
	if m.Snap == nil || (m.asked == m.Snap && m.askedAs == m.settings) {
		return nil
	}
	return m.start()
}

// start cancels any run under way and starts one for the snapshot and
// settings on screen.
func (m *Model) start() tea.Cmd {
	if m.job != nil {
		m.job.cancel()
	}
	m.asked, m.askedAs, m.stopped, m.err = m.Snap, m.settings, false, nil
	m.gen++
	ctx, cancel := context.WithCancel(context.Background())
	j := &job{Job: common.NewJob[progressMsg, doneMsg](), gen: m.gen, cancel: cancel, paths: m.settings.Paths}
	m.job = j
	m.layout()
	snap, set := m.Snap, m.settings
	return func() tea.Msg {
		go j.run(ctx, snap, set)
		return j.Wait()
	}
}

// run simulates in the job's goroutine.
func (j *job) run(ctx context.Context, snap *common.Snapshot, set Settings) {
	res := doneMsg{gen: j.gen, snap: snap}
	defer func() { j.Finish(res) }()
	pl, err := montecarlo.PlanFor(snap.Valuation)
	if err != nil {
		res.err = err
		return
	}
	res.plan = pl
	d, err := history.Load()
	if err != nil {
		res.err = err
		return
	}
	cfg := pl.Config(set.Years, set.Paths, set.Seed, set.Policy)
	assets := append(append([]history.Asset(nil), cfg.Assets...), cfg.Unit)
	if res.commonFrom, res.commonTo, err = d.Window(assets, history.USD, true); err != nil {
		res.err = err
		return
	}
	if set.Later > 0 {
		cfg.From = res.commonFrom + history.Month(12*set.Later)
	}
	if set.BTCExpected && slices.Contains(cfg.Assets, history.BTC) {
		cfg.Expect = map[history.Asset]float64{history.BTC: float64(set.BTCExpect) / 100}
		cfg.Volatility = map[history.Asset]float64{history.BTC: btcVolatility}
	}
	cfg.Progress = func(done, total int) { j.Report(progressMsg{gen: j.gen, done: done}) }
	res.res, res.err = montecarlo.Run(ctx, d, cfg)
}

// minHistoryYears is the shortest history Later may leave to draw from.
const minHistoryYears = 3

// Update takes progress and results, changes settings and scrolls.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.Keys
	switch msg := msg.(type) {
	case progressMsg:
		if m.job == nil || msg.gen != m.job.gen {
			return m, nil
		}
		m.job.last = msg.done
		m.layout()
		return m, m.job.Listen()
	case doneMsg:
		if m.job == nil || msg.gen != m.job.gen {
			return m, nil // stopped, or replaced by a later run
		}
		m.job.cancel()
		m.job = nil
		m.commonFrom, m.commonTo = msg.commonFrom, msg.commonTo
		if msg.err != nil {
			m.err = msg.err
			m.layout()
			return m, nil
		}
		m.res, m.plan, m.of = msg.res, msg.plan, msg.snap
		m.layout()
		return m, nil
	case tea.KeyMsg:
		s := m.settings
		switch {
		case key.Matches(msg, km.SimStop):
			if m.job == nil {
				return m, nil
			}
			m.job.cancel()
			m.job, m.stopped = nil, true
			m.layout()
			return m, common.Status(common.Info, "Simulation stopped")
		case key.Matches(msg, km.SimPolicy):
			for i, p := range policies {
				if p == s.Policy {
					s.Policy = policies[(i+1)%len(policies)]
					break
				}
			}
		case key.Matches(msg, km.SimLonger):
			s.Years = min(100, s.Years+5)
		case key.Matches(msg, km.SimShorter):
			s.Years = max(5, s.Years-5)
		case key.Matches(msg, km.SimLater):
			if m.commonTo != 0 && int(m.commonTo-m.commonFrom)+1-12*(s.Later+1) < 12*minHistoryYears {
				return m, common.Status(common.Warn, fmt.Sprintf("History to draw from must keep at least %d years", minHistoryYears))
			}
			s.Later++
		case key.Matches(msg, km.SimEarlier):
			s.Later = max(0, s.Later-1)
		case key.Matches(msg, km.SimReseed):
			s.Seed++
		case key.Matches(msg, km.SimBTC):
			if m.plan != nil && !slices.Contains(m.plan.Assets, history.BTC) {
				return m, common.Status(common.Info, "The allocation holds no bitcoin")
			}
			s.nextBTC()
		default:
			m.pager.Update(km, msg)
			return m, nil
		}
		if s == m.settings {
			return m, nil
		}
		m.settings = s
		return m, m.start()
	default:
		m.pager.Update(km, msg)
	}
	return m, nil
}

// View returns the window laid out by the last Update.
func (m *Model) View() string { return m.pager.View() }

// ShortHelp lists the main keys.
func (m *Model) ShortHelp() []key.Binding {
	km := m.Keys
	if m.job != nil {
		return []key.Binding{km.SimStop}
	}
	return []key.Binding{km.SimPolicy, km.SimLonger, km.SimShorter, km.SimReseed}
}

// FullHelp lists the screen's keys and scrolling.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.Keys.MonteCarlo(), m.Keys.Navigation()}
}

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Monte Carlo", "Scrolling"} }

func groupInt(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
