// Package termbg settles whether the terminal background is dark before any
// other package can ask the terminal.
//
// bubbletea v1 calls lipgloss.HasDarkBackground in a package init, which
// sends an OSC 11 query to the terminal and waits up to five seconds for an
// answer: a terminal (or pty, serial console, multiplexer) that never
// answers stalls start-up by that much. This package's init tells lipgloss's
// default renderer the answer first, from the environment alone, so that
// query is never sent.
//
// It works because Go initialises packages in import-path order among those
// whose imports are ready (the Go 1.21 rule): this package depends only on
// lipgloss, which bubbletea depends on too, and its path,
// codeberg.org/hardfolio/hardfolio/tui/termbg, sorts before
// github.com/charmbracelet/bubbletea, so its init always runs first. Keep
// it free of other imports of ours. The root package's start-up test under a
// pty that never answers fails if this ever stops holding.
package termbg

import (
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// EnvTheme names the environment variable that forces the theme: dark or
// light.
const EnvTheme = "HARDFOLIO_THEME"

func init() {
	lipgloss.SetHasDarkBackground(Dark(os.Getenv))
}

// Dark decides whether the background is dark without asking the terminal:
// HARDFOLIO_THEME=dark|light wins, then COLORFGBG ("fg;bg", set by rxvt,
// Konsole and others), and otherwise dark, the common case.
func Dark(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(EnvTheme))) {
	case "dark":
		return true
	case "light":
		return false
	}
	if v := getenv("COLORFGBG"); v != "" {
		parts := strings.Split(v, ";")
		if bg, err := strconv.Atoi(parts[len(parts)-1]); err == nil {
			// ANSI colours 7 (white) and 9-15 (the bright ones but
			// bright black) are light backgrounds.
			return !(bg == 7 || (bg >= 9 && bg <= 15))
		}
	}
	return true
}
