package tui

import (
	"fmt"
	"strings"

	"github.com/muesli/termenv"

	"codeberg.org/hardfolio/hardfolio/tui/termbg"
)

// Theme names accepted by Options.Theme and the --theme flag.
const (
	ThemeAuto  = "auto"
	ThemeDark  = "dark"
	ThemeLight = "light"
)

// ParseTheme checks a theme name; "" means auto.
func ParseTheme(s string) (string, error) {
	switch t := strings.ToLower(strings.TrimSpace(s)); t {
	case "", ThemeAuto:
		return ThemeAuto, nil
	case ThemeDark, ThemeLight:
		return t, nil
	}
	return "", fmt.Errorf("unknown theme %q: want dark, light or auto", s)
}

// darkBackground decides whether the terminal background is dark without
// asking the terminal: an explicit theme wins, then what termbg reads from
// the environment. Asking the terminal (OSC 11) would stall start-up on
// terminals that never answer.
func darkBackground(theme string, getenv func(string) string) bool {
	switch theme {
	case ThemeDark:
		return true
	case ThemeLight:
		return false
	}
	return termbg.Dark(getenv)
}

// colorProfile decides how many colours to use from the environment alone.
// mono reports that colours are unwanted (NO_COLOR, https://no-color.org)
// or unsupported: the interface then keeps bold, faint, underline and
// reverse video, which NO_COLOR allows, and drops every colour.
func colorProfile(getenv func(string) string, tty bool) (profile termenv.Profile, mono bool) {
	if !tty {
		return termenv.Ascii, true
	}
	if getenv("NO_COLOR") != "" {
		return termenv.ANSI, true
	}
	term := strings.ToLower(getenv("TERM"))
	switch ct := strings.ToLower(getenv("COLORTERM")); {
	case term == "dumb":
		return termenv.Ascii, true
	case ct == "truecolor" || ct == "24bit":
		return termenv.TrueColor, false
	case strings.Contains(term, "256color"), strings.Contains(term, "kitty"), strings.Contains(term, "wezterm"),
		strings.Contains(term, "alacritty"), strings.Contains(term, "ghostty"), term == "xterm-direct":
		return termenv.ANSI256, false
	}
	return termenv.ANSI, false
}
