package store

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashSeedEnv replays a crash test run with the seed it logged.
const crashSeedEnv = "HARDFOLIO_STORE_CRASH_SEED"

// TestCrashDuringSave kills a process that saves the portfolio in a loop
// (SIGKILL, after a random 0-20 ms) 200 times, and checks after each kill
// that the file is there, with mode 0600, holding exactly the version being
// written or the one before it, complete; that every backup is a complete
// earlier version; and that the next Open gets the lock and leaves no
// temporary file behind.
func TestCrashDuringSave(t *testing.T) {
	const runs = 200
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	t.Logf("seed %d (replay with %s=%d)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0x68617264666f6c69))

	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.toml")
	s, err := Open(path, Options{Backups: crashBackups})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(versionContent(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var (
		current       = 0 // version on disk
		totalSaves    = 0 // versions the writers started
		killedMidSave = 0 // runs whose last started version did not land
		noSave        = 0 // runs killed before they started a version
		tempsLeft     = 0 // runs that left a temporary file behind
	)
	for run := range runs {
		delay := time.Duration(rng.Int64N(int64(20*time.Millisecond) + 1))
		w := runWriter(t, path, current+1, delay)
		totalSaves += w.saves
		where := func() string {
			return "run " + strconv.Itoa(run) + ", delay " + delay.String() + ", seed " + strconv.FormatUint(seed, 10)
		}

		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("%s: portfolio file gone: %v", where(), err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Fatalf("%s: mode %v, want 0600", where(), perm)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", where(), err)
		}
		got, err := parseVersion(data)
		if err != nil {
			t.Fatalf("%s: portfolio file corrupt: %v", where(), err)
		}
		switch {
		case w.last < 0:
			noSave++
			if got != current {
				t.Fatalf("%s: no version started, file has version %d, want %d", where(), got, current)
			}
		case got == w.last:
		case got == w.last-1:
			killedMidSave++
		default:
			t.Fatalf("%s: file has version %d; the writer was at %d, so want %d or %d",
				where(), got, w.last, w.last-1, w.last)
		}
		current = got

		if temps := listTemps(t, dir, "portfolio.toml"); len(temps) > 0 {
			tempsLeft++
		}

		// The next Open takes over: it gets the lock (the kernel released
		// the dead writer's) and cleans up the temporary files.
		s, err := Open(path, Options{Backups: crashBackups})
		if err != nil {
			t.Fatalf("%s: reopen: %v", where(), err)
		}
		if s.ReadOnly() {
			t.Fatalf("%s: reopened read-only: %s", where(), s.ReadOnlyReason())
		}
		if temps := listTemps(t, dir, "portfolio.toml"); len(temps) > 0 {
			t.Fatalf("%s: temporary files left after Open: %v", where(), temps)
		}
		backups, err := s.Backups()
		if err != nil {
			t.Fatalf("%s: %v", where(), err)
		}
		if len(backups) > crashBackups {
			t.Fatalf("%s: %d backups after Open, want at most %d", where(), len(backups), crashBackups)
		}
		entries, err := os.ReadDir(filepath.Join(dir, "backups"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("%s: %v", where(), err)
		}
		if len(entries) != len(backups) {
			t.Fatalf("%s: backups directory has %d entries, %d of them backups", where(), len(entries), len(backups))
		}
		for _, b := range backups {
			data, err := os.ReadFile(b.Path)
			if err != nil {
				t.Fatalf("%s: %v", where(), err)
			}
			v, err := parseVersion(data)
			if err != nil {
				t.Fatalf("%s: backup %s corrupt: %v", where(), filepath.Base(b.Path), err)
			}
			if v > current {
				t.Fatalf("%s: backup %s has version %d, newer than the file's %d", where(), filepath.Base(b.Path), v, current)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("%s: %v", where(), err)
		}
	}
	t.Logf("%d runs: %d versions started, %d runs killed mid-save (old version kept), %d killed before a save, %d left a temporary file",
		runs, totalSaves, killedMidSave, noSave, tempsLeft)
	if totalSaves == 0 {
		t.Fatal("no writer ever started a save: the kills tested nothing")
	}
}

// listTemps returns the temporary files of the portfolio named name in dir
// and in its backups directory.
func listTemps(t *testing.T, dir, name string) []string {
	t.Helper()
	var temps []string
	for _, d := range []string{dir, filepath.Join(dir, "backups")} {
		entries, err := os.ReadDir(d)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "."+name+".") {
				temps = append(temps, filepath.Join(d, e.Name()))
			}
		}
	}
	return temps
}
