// Package styles holds every style the terminal interface draws with, in
// one nested Styles struct, for a dark or a light background and for
// terminals asked to show no colour (NO_COLOR).
//
// Styles render through a lipgloss.Renderer whose background and colour
// profile are set explicitly: nothing here asks the terminal anything, so
// building styles never waits on a terminal that does not answer. Screens
// read ctx.Styles and never build colours of their own.
package styles

import (
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Palette is the handful of colours a theme is made of. An empty colour
// means "the terminal's own".
type Palette struct {
	Text      lipgloss.TerminalColor
	Muted     lipgloss.TerminalColor
	Accent    lipgloss.TerminalColor // titles, the active tab, bars
	AccentAlt lipgloss.TerminalColor // keys in help
	Good      lipgloss.TerminalColor
	Warn      lipgloss.TerminalColor
	Error     lipgloss.TerminalColor
	SelectBG  lipgloss.TerminalColor // the selected table row
	BarEmpty  lipgloss.TerminalColor
	Border    lipgloss.TerminalColor
	HeaderBG  lipgloss.TerminalColor
	HeaderFG  lipgloss.TerminalColor
}

// DarkPalette is the theme for dark terminal backgrounds.
func DarkPalette() Palette {
	return Palette{
		Text:      lipgloss.Color("#D8DEE9"),
		Muted:     lipgloss.Color("#7D8590"),
		Accent:    lipgloss.Color("#E5B842"),
		AccentAlt: lipgloss.Color("#F2A65A"),
		Good:      lipgloss.Color("#7FBF7F"),
		Warn:      lipgloss.Color("#E8A33D"),
		Error:     lipgloss.Color("#F06A6A"),
		SelectBG:  lipgloss.Color("#2F3542"),
		BarEmpty:  lipgloss.Color("#3B4252"),
		Border:    lipgloss.Color("#4C566A"),
		HeaderBG:  lipgloss.Color("#2B2F38"),
		HeaderFG:  lipgloss.Color("#E5B842"),
	}
}

// LightPalette is the theme for light terminal backgrounds.
func LightPalette() Palette {
	return Palette{
		Text:      lipgloss.Color("#24292F"),
		Muted:     lipgloss.Color("#6A737D"),
		Accent:    lipgloss.Color("#8A5A00"),
		AccentAlt: lipgloss.Color("#B35900"),
		Good:      lipgloss.Color("#2E7D32"),
		Warn:      lipgloss.Color("#B35900"),
		Error:     lipgloss.Color("#C62828"),
		SelectBG:  lipgloss.Color("#EDE4CC"),
		BarEmpty:  lipgloss.Color("#D8DCE2"),
		Border:    lipgloss.Color("#B0B7C0"),
		HeaderBG:  lipgloss.Color("#F1EBDB"),
		HeaderFG:  lipgloss.Color("#6B4500"),
	}
}

// MonoPalette has no colours at all, for NO_COLOR: emphasis comes from
// bold, faint, underline and reverse video alone.
func MonoPalette() Palette {
	none := lipgloss.NoColor{}
	return Palette{none, none, none, none, none, none, none, none, none, none, none, none}
}

// Styles is the whole look of the interface.
type Styles struct {
	Renderer *lipgloss.Renderer
	Dark     bool
	Mono     bool // no colours: NO_COLOR or a terminal without colour

	// Chrome around the screens.
	Header      lipgloss.Style // the top line
	HeaderTitle lipgloss.Style
	HeaderInfo  lipgloss.Style
	TabActive   lipgloss.Style
	TabInactive lipgloss.Style
	RuleActive  lipgloss.Style // the rule under the active tab
	Rule        lipgloss.Style
	StatusInfo  lipgloss.Style
	StatusWarn  lipgloss.Style
	StatusError lipgloss.Style
	StatusMode  lipgloss.Style // DEMO, READ-ONLY, saving…

	Text struct {
		Normal lipgloss.Style
		Muted  lipgloss.Style
		Title  lipgloss.Style // panel and screen titles
		Strong lipgloss.Style
		Big    lipgloss.Style // the net worth figure
		Good   lipgloss.Style
		Warn   lipgloss.Style
		Error  lipgloss.Style
		Key    lipgloss.Style // a key name inside prose
	}

	Table struct {
		Header       lipgloss.Style
		HeaderSorted lipgloss.Style
		Row          lipgloss.Style
		Selected     lipgloss.Style
		Stale        lipgloss.Style
		Unpriced     lipgloss.Style
		Footer       lipgloss.Style
	}

	Bar struct {
		Fill       lipgloss.Style
		Empty      lipgloss.Style
		FillRune   string
		EmptyRune  string
		Percentage lipgloss.Style
	}

	Form struct {
		Label        lipgloss.Style
		LabelFocused lipgloss.Style
		Input        lipgloss.Style // a text field's value
		Placeholder  lipgloss.Style
		Cursor       lipgloss.Style
		Option       lipgloss.Style // a choice field's value
		OptionArrows lipgloss.Style
		Error        lipgloss.Style
		Hint         lipgloss.Style
		Marker       lipgloss.Style // the › before the focused field
	}

	// QR draws a QR code made of block characters: the blocks are the
	// code's light modules on a dark background (Dark), its dark modules
	// on a light one. In colour it pins pure black and white, so the code
	// scans whatever the terminal's own colours; without colour
	// (NO_COLOR) the characters alone make the code.
	QR lipgloss.Style

	// Overlay is the box the help and dialogs are drawn in.
	Overlay      lipgloss.Style
	OverlayTitle lipgloss.Style

	Help help.Styles
}

// NewRenderer returns a renderer that writes to w with the given colour
// profile and background, set explicitly so that it never asks the
// terminal. w only matters for its writer; pass io.Discard when in doubt.
func NewRenderer(w io.Writer, profile termenv.Profile, dark bool) *lipgloss.Renderer {
	if w == nil {
		w = io.Discard
	}
	r := lipgloss.NewRenderer(w)
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(dark)
	return r
}

// DefaultStyles returns the built-in theme for a dark or a light
// background, in true colour.
func DefaultStyles(isDark bool) *Styles {
	return New(NewRenderer(io.Discard, termenv.TrueColor, isDark), isDark, false)
}

// New builds the styles for renderer r. mono drops every colour (NO_COLOR)
// and keeps only attributes.
func New(r *lipgloss.Renderer, isDark, mono bool) *Styles {
	p := LightPalette()
	if isDark {
		p = DarkPalette()
	}
	if mono {
		p = MonoPalette()
	}
	return FromPalette(r, p, isDark, mono)
}

// FromPalette builds the styles from a palette.
func FromPalette(r *lipgloss.Renderer, p Palette, isDark, mono bool) *Styles {
	s := &Styles{Renderer: r, Dark: isDark, Mono: mono}
	ns := r.NewStyle
	fg := func(c lipgloss.TerminalColor) lipgloss.Style { return ns().Foreground(c) }

	s.Header = ns().Background(p.HeaderBG).Foreground(p.Text)
	s.HeaderTitle = ns().Background(p.HeaderBG).Foreground(p.HeaderFG).Bold(true)
	s.HeaderInfo = ns().Background(p.HeaderBG).Foreground(p.Muted)
	s.TabActive = fg(p.Accent).Bold(true)
	s.TabInactive = fg(p.Muted)
	s.RuleActive = fg(p.Accent)
	s.Rule = fg(p.Border)
	s.StatusInfo = fg(p.Text)
	s.StatusWarn = fg(p.Warn).Bold(true)
	s.StatusError = fg(p.Error).Bold(true)
	s.StatusMode = fg(p.Warn).Bold(true)

	s.Text.Normal = fg(p.Text)
	s.Text.Muted = fg(p.Muted)
	s.Text.Title = fg(p.Accent).Bold(true)
	s.Text.Strong = fg(p.Text).Bold(true)
	s.Text.Big = fg(p.Accent).Bold(true)
	s.Text.Good = fg(p.Good)
	s.Text.Warn = fg(p.Warn)
	s.Text.Error = fg(p.Error)
	s.Text.Key = fg(p.AccentAlt).Bold(true)

	s.Table.Header = fg(p.Muted).Bold(true)
	s.Table.HeaderSorted = fg(p.Accent).Bold(true)
	s.Table.Row = fg(p.Text)
	s.Table.Selected = ns().Background(p.SelectBG).Foreground(p.Text).Bold(true)
	s.Table.Stale = fg(p.Warn)
	s.Table.Unpriced = fg(p.Error)
	s.Table.Footer = fg(p.Muted)

	s.Bar.Fill = fg(p.Accent)
	s.Bar.Empty = fg(p.BarEmpty)
	s.Bar.FillRune = "█"
	s.Bar.EmptyRune = "░"
	s.Bar.Percentage = fg(p.Text)

	s.Form.Label = fg(p.Muted)
	s.Form.LabelFocused = fg(p.Accent).Bold(true)
	s.Form.Input = fg(p.Text)
	s.Form.Placeholder = fg(p.Muted)
	s.Form.Cursor = fg(p.Accent)
	s.Form.Option = fg(p.Text)
	s.Form.OptionArrows = fg(p.Muted)
	s.Form.Error = fg(p.Error)
	s.Form.Hint = fg(p.Muted)
	s.Form.Marker = fg(p.Accent).Bold(true)

	s.QR = ns()
	if !mono {
		black, white := lipgloss.Color("#000000"), lipgloss.Color("#FFFFFF")
		if isDark {
			s.QR = ns().Foreground(white).Background(black)
		} else {
			s.QR = ns().Foreground(black).Background(white)
		}
	}
	s.Overlay = ns().Border(lipgloss.RoundedBorder()).BorderForeground(p.Border).Padding(0, 1)
	s.OverlayTitle = fg(p.Accent).Bold(true)

	s.Help = help.Styles{
		Ellipsis:       fg(p.Muted),
		ShortKey:       fg(p.AccentAlt),
		ShortDesc:      fg(p.Muted),
		ShortSeparator: fg(p.Border),
		FullKey:        fg(p.AccentAlt),
		FullDesc:       fg(p.Text),
		FullSeparator:  fg(p.Border),
	}

	if mono {
		// Without colour, the selection and the active tab need an
		// attribute to stand out.
		s.Table.Selected = ns().Reverse(true)
		s.Header = ns().Reverse(true)
		s.HeaderTitle = ns().Reverse(true).Bold(true)
		s.HeaderInfo = ns().Reverse(true)
		s.TabActive = ns().Bold(true).Underline(true)
		s.TabInactive = ns().Faint(true)
		s.Text.Muted = ns().Faint(true)
		s.Table.Header = ns().Bold(true)
		s.Table.HeaderSorted = ns().Bold(true).Underline(true)
		s.Text.Warn = ns().Bold(true)
		s.Text.Error = ns().Bold(true).Underline(true)
		s.Form.Error = ns().Bold(true)
		s.Form.LabelFocused = ns().Bold(true)
		s.Form.Placeholder = ns().Faint(true)
		s.Help.ShortDesc = ns().Faint(true)
		s.Help.ShortKey = ns().Bold(true)
		s.Help.FullKey = ns().Bold(true)
	}
	return s
}

// Paint is a style reduced to the escape sequences before and after its
// text. Drawing with it is a concatenation, where lipgloss's Render
// measures and wraps: screens compile the styles they draw hundreds of
// times a frame (table cells, bars) and keep the Paints. It suits styles
// without width, padding, margins or borders, applied to one line.
type Paint struct{ pre, post string }

// Compile returns the Paint of s.
func Compile(s lipgloss.Style) Paint {
	const probe = "x"
	out := s.Render(probe)
	i := strings.Index(out, probe)
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: out[:i], post: out[i+len(probe):]}
}

// Render paints text.
func (p Paint) Render(text string) string {
	if p.pre == "" && p.post == "" {
		return text
	}
	return p.pre + text + p.post
}
