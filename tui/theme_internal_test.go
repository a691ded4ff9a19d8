package tui

import (
	"testing"

	"github.com/muesli/termenv"

	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
)

var _ = tuitest.Clock

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDarkBackground(t *testing.T) {
	cases := []struct {
		theme     string
		colorfgbg string
		dark      bool
	}{
		{ThemeAuto, "", true},
		{ThemeAuto, "15;0", true},
		{ThemeAuto, "0;15", false},
		{ThemeAuto, "0;default;7", false},
		{ThemeAuto, "7;8", true},
		{ThemeAuto, "garbage", true},
		{ThemeLight, "15;0", false},
		{ThemeDark, "0;15", true},
	}
	for _, c := range cases {
		if got := darkBackground(c.theme, envOf(map[string]string{"COLORFGBG": c.colorfgbg})); got != c.dark {
			t.Errorf("theme %q COLORFGBG %q: dark = %v, want %v", c.theme, c.colorfgbg, got, c.dark)
		}
	}
}

func TestColorProfile(t *testing.T) {
	cases := []struct {
		env     map[string]string
		tty     bool
		profile termenv.Profile
		mono    bool
	}{
		{map[string]string{"TERM": "xterm-256color"}, true, termenv.ANSI256, false},
		{map[string]string{"TERM": "xterm", "COLORTERM": "truecolor"}, true, termenv.TrueColor, false},
		{map[string]string{"TERM": "xterm"}, true, termenv.ANSI, false},
		{map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, true, termenv.ANSI, true},
		{map[string]string{"TERM": "dumb"}, true, termenv.Ascii, true},
		{map[string]string{"TERM": "xterm-256color"}, false, termenv.Ascii, true},
	}
	for _, c := range cases {
		p, mono := colorProfile(envOf(c.env), c.tty)
		if p != c.profile || mono != c.mono {
			t.Errorf("%v tty=%v: profile %v mono %v, want %v %v", c.env, c.tty, p, mono, c.profile, c.mono)
		}
	}
}

func TestParseTheme(t *testing.T) {
	for in, want := range map[string]string{"": ThemeAuto, "AUTO": ThemeAuto, "dark": ThemeDark, " Light ": ThemeLight} {
		if got, err := ParseTheme(in); err != nil || got != want {
			t.Errorf("ParseTheme(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseTheme("solarized"); err == nil {
		t.Error("ParseTheme accepted an unknown theme")
	}
}
