package termbg

import (
	"sort"
	"testing"
)

func TestDark(t *testing.T) {
	cases := []struct {
		env  map[string]string
		dark bool
	}{
		{map[string]string{}, true},
		{map[string]string{"COLORFGBG": "15;0"}, true},
		{map[string]string{"COLORFGBG": "0;15"}, false},
		{map[string]string{"COLORFGBG": "0;default;7"}, false},
		{map[string]string{"COLORFGBG": "0;15", EnvTheme: "dark"}, true},
		{map[string]string{EnvTheme: "Light"}, false},
		{map[string]string{"COLORFGBG": "garbage"}, true},
	}
	for _, c := range cases {
		if got := Dark(func(k string) string { return c.env[k] }); got != c.dark {
			t.Errorf("%v: dark=%v, want %v", c.env, got, c.dark)
		}
	}
}

// TestPathSortsBeforeBubbletea guards the init-order property the package
// relies on.
func TestPathSortsBeforeBubbletea(t *testing.T) {
	paths := []string{"github.com/charmbracelet/bubbletea", "codeberg.org/hardfolio/hardfolio/tui/termbg"}
	sort.Strings(paths)
	if paths[0] != "codeberg.org/hardfolio/hardfolio/tui/termbg" {
		t.Fatal("termbg no longer initialises before bubbletea: its import path must sort first")
	}
}
