package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testPass = "correct horse battery staple"

// passphrase returns an Options.Passphrase giving pass and counting the
// calls for each value of confirm.
func passphrase(pass string) (func(bool) ([]byte, error), *[2]int) {
	var calls [2]int
	var mu sync.Mutex
	return func(confirm bool) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if confirm {
			calls[1]++
		} else {
			calls[0]++
		}
		return []byte(pass), nil
	}, &calls
}

// fastOpts are options with a cheap scrypt cost, to keep the tests quick.
func fastOpts(pass func(bool) ([]byte, error)) Options {
	return Options{Passphrase: pass, ScryptWorkFactor: 10}
}

func mustOpen(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustSave(t *testing.T, s *Store, data string) {
	t.Helper()
	if err := s.Save([]byte(data)); err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t *testing.T, s *Store) string {
	t.Helper()
	b, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

// checkPathError checks that err is an *fs.PathError on path wrapping want.
func checkPathError(t *testing.T, err error, path string, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want one wrapping %v", err, want)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("error %v is not a PathError on %s", err, path)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name %s", err, path)
	}
}

func TestRoundTripPlain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "portfolio.toml")
	s := mustOpen(t, path, Options{})

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("directory not created: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode %v, want 0700", perm)
	}
	if s.Exists() || s.Encrypted() || s.ReadOnly() || s.ReadOnlyReason() != "" {
		t.Fatalf("new store: Exists %v Encrypted %v ReadOnly %v %q", s.Exists(), s.Encrypted(), s.ReadOnly(), s.ReadOnlyReason())
	}
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	_, err = s.Load()
	checkPathError(t, err, path, fs.ErrNotExist)

	mustSave(t, s, "version 1\n")
	if !s.Exists() {
		t.Fatal("Exists false after Save")
	}
	if got := mustLoad(t, s); got != "version 1\n" {
		t.Fatalf("Load = %q", got)
	}
	if got := string(readFile(t, path)); got != "version 1\n" {
		t.Fatalf("file holds %q", got)
	}
	checkMode(t, path, 0o600)
	checkMode(t, path+".lock", 0o600)

	mustSave(t, s, "version 2\n")
	mustSave(t, s, "") // an empty portfolio is the codec's business
	if got := mustLoad(t, s); got != "" {
		t.Fatalf("Load = %q, want empty", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := mustOpen(t, path, Options{})
	mustSave(t, s2, "version 3\n")
	if got := mustLoad(t, s2); got != "version 3\n" {
		t.Fatalf("reopened Load = %q", got)
	}
}

func TestRoundTripEncrypted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portfolio.toml")
	pass, calls := passphrase(testPass)
	s := mustOpen(t, path, fastOpts(pass))

	if err := s.Encrypt(); err != nil { // no file yet: the first Save encrypts
		t.Fatal(err)
	}
	if !s.Encrypted() || s.Exists() {
		t.Fatalf("after Encrypt of a missing file: Encrypted %v Exists %v", s.Encrypted(), s.Exists())
	}
	const secret = "sats = 21000000 # under the floorboards\n"
	mustSave(t, s, secret)
	raw := readFile(t, path)
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("file does not start with the age header: %q", raw[:min(len(raw), 40)])
	}
	if bytes.Contains(raw, []byte("floorboards")) {
		t.Fatal("plaintext visible in the encrypted file")
	}
	checkMode(t, path, 0o600)
	if got := mustLoad(t, s); got != secret {
		t.Fatalf("Load = %q", got)
	}
	mustSave(t, s, secret+"v2\n")
	mustSave(t, s, secret+"v3\n")
	if *calls != [2]int{0, 1} {
		t.Fatalf("passphrase asked %d times (confirm false) and %d (confirm true), want 0 and 1", calls[0], calls[1])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A new store (a new process) asks once, at Load, then reuses it.
	pass2, calls2 := passphrase(testPass)
	s2 := mustOpen(t, path, fastOpts(pass2))
	if !s2.Encrypted() {
		t.Fatal("Encrypted false after Open of an encrypted file")
	}
	if got := mustLoad(t, s2); got != secret+"v3\n" {
		t.Fatalf("Load = %q", got)
	}
	mustSave(t, s2, "v4\n")
	mustSave(t, s2, "v5\n")
	if got := mustLoad(t, s2); got != "v5\n" {
		t.Fatalf("Load = %q", got)
	}
	if *calls2 != [2]int{1, 0} {
		t.Fatalf("passphrase asked %v times, want once without confirm", *calls2)
	}
	// Backups of an encrypted portfolio are encrypted too, and readable.
	backups, err := s2.Backups()
	if err != nil || len(backups) != 4 {
		t.Fatalf("Backups = %v, %v; want 4", backups, err)
	}
	for _, b := range backups {
		if raw := readFile(t, b.Path); !isEncrypted(raw) {
			t.Errorf("backup %s is not encrypted", b.Path)
		}
	}
	if got, err := s2.ReadBackup(backups[0]); err != nil || string(got) != "v4\n" {
		t.Fatalf("ReadBackup(newest) = %q, %v", got, err)
	}
}

func TestSaveEncryptedWithoutLoadChecksPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portfolio.toml")
	pass, _ := passphrase(testPass)
	s := mustOpen(t, path, fastOpts(pass))
	if err := s.Encrypt(); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, "v1\n")
	s.Close()

	// Saving without Load must not re-key the file with a mistyped passphrase.
	wrong, _ := passphrase("correct horse battery stapler")
	s2 := mustOpen(t, path, fastOpts(wrong))
	checkPathError(t, s2.Save([]byte("v2\n")), path, ErrBadPassphrase)
	s2.Close()

	pass3, calls := passphrase(testPass)
	s3 := mustOpen(t, path, fastOpts(pass3))
	mustSave(t, s3, "v2\n")
	if got := mustLoad(t, s3); got != "v2\n" || *calls != [2]int{1, 0} {
		t.Fatalf("Load = %q after %v asks", got, *calls)
	}
}

func TestWrongPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portfolio.toml")
	pass, _ := passphrase(testPass)
	s := mustOpen(t, path, fastOpts(pass))
	if err := s.Encrypt(); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, "secret\n")
	s.Close()

	tries := []string{"wrong", "wrong again", testPass}
	var asked int
	s2 := mustOpen(t, path, fastOpts(func(bool) ([]byte, error) {
		p := tries[asked]
		asked++
		return []byte(p), nil
	}))
	_, err := s2.Load()
	checkPathError(t, err, path, ErrBadPassphrase)
	if errors.Is(err, ErrNoPassphrase) {
		t.Errorf("wrong passphrase reported as missing: %v", err)
	}
	checkPathError(t, s2.Save([]byte("x")), path, ErrBadPassphrase)
	if !bytes.HasPrefix(readFile(t, path), []byte(ageHeader)) {
		t.Fatal("file changed by a refused Save")
	}
	// A wrong passphrase is forgotten: the next Load asks again.
	if got := mustLoad(t, s2); got != "secret\n" {
		t.Fatalf("Load = %q", got)
	}
	if asked != 3 {
		t.Fatalf("passphrase asked %d times, want 3", asked)
	}
	mustSave(t, s2, "secret 2\n") // the right one is kept
	if asked != 3 {
		t.Fatalf("passphrase asked again after a successful Load")
	}
}

func TestNoPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portfolio.toml")
	pass, _ := passphrase(testPass)
	s := mustOpen(t, path, fastOpts(pass))
	if err := s.Encrypt(); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, "secret\n")
	s.Close()

	s2 := mustOpen(t, path, Options{})
	_, err := s2.Load()
	checkPathError(t, err, path, ErrNoPassphrase)
	checkPathError(t, s2.Encrypt(), path, ErrNoPassphrase)

	empty := mustOpen(t, filepath.Join(t.TempDir(), "p"), Options{Passphrase: func(bool) ([]byte, error) { return nil, nil }})
	checkPathError(t, empty.Encrypt(), empty.Path(), ErrNoPassphrase)
	if empty.Encrypted() {
		t.Fatal("Encrypted true after a failed Encrypt")
	}

	failing := errors.New("prompt cancelled")
	cancel := mustOpen(t, path, Options{Passphrase: func(bool) ([]byte, error) { return nil, failing }})
	_ = cancel // the lock is held by s2: read-only, but Load works
	_, err = cancel.Load()
	if !errors.Is(err, ErrNoPassphrase) || !errors.Is(err, failing) {
		t.Fatalf("Load with a cancelled prompt: %v", err)
	}
}

func TestPassphraseFromEnv(t *testing.T) {
	const name = "HARDFOLIO_STORE_TEST_PASSPHRASE"
	get := PassphraseFromEnv(name)
	t.Setenv(name, "")
	if _, err := get(false); !errors.Is(err, ErrNoPassphrase) || !strings.Contains(err.Error(), name) {
		t.Fatalf("unset variable: %v", err)
	}
	t.Setenv(name, testPass)
	for _, confirm := range []bool{false, true} {
		if p, err := get(confirm); err != nil || string(p) != testPass {
			t.Fatalf("get(%v) = %q, %v", confirm, p, err)
		}
	}
	if PassphraseEnv != "HARDFOLIO_PASSPHRASE" {
		t.Fatalf("PassphraseEnv = %q", PassphraseEnv)
	}

	path := filepath.Join(t.TempDir(), "portfolio.toml")
	s := mustOpen(t, path, Options{Passphrase: get, ScryptWorkFactor: 10})
	if err := s.Encrypt(); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, "from env\n")
	s.Close()
	s2 := mustOpen(t, path, Options{Passphrase: get})
	if got := mustLoad(t, s2); got != "from env\n" {
		t.Fatalf("Load = %q", got)
	}
}

func TestFixtures(t *testing.T) {
	want := readFile(t, filepath.Join("testdata", "portfolio.txt"))
	for _, name := range []string{"portfolio.txt", "portfolio.age", "portfolio-armored.age"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "portfolio.toml")
			if err := os.WriteFile(path, readFile(t, filepath.Join("testdata", name)), 0o644); err != nil {
				t.Fatal(err)
			}
			pass, _ := passphrase(testPass)
			s := mustOpen(t, path, fastOpts(pass))
			checkMode(t, path, 0o600) // Open tightens it
			encrypted := strings.HasSuffix(name, ".age")
			if s.Encrypted() != encrypted {
				t.Fatalf("Encrypted = %v", s.Encrypted())
			}
			if got := mustLoad(t, s); got != string(want) {
				t.Fatalf("Load = %q", got)
			}
			// Saving rewrites in age's binary format (or plain).
			mustSave(t, s, string(want))
			if raw := readFile(t, path); bytes.HasPrefix(raw, []byte(ageHeader)) != encrypted {
				t.Fatalf("saved file: encrypted %v, want %v", isEncrypted(raw), encrypted)
			}
			if got := mustLoad(t, s); got != string(want) {
				t.Fatalf("Load after Save = %q", got)
			}
		})
	}
}

func TestDamagedEncryptedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portfolio.toml")
	raw := readFile(t, filepath.Join("testdata", "portfolio.age"))
	for name, data := range map[string][]byte{
		"truncated body":   raw[:len(raw)-10],
		"truncated header": raw[:30],
		"flipped byte":     append(bytes.Clone(raw[:len(raw)-1]), raw[len(raw)-1]^1),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			pass, _ := passphrase(testPass)
			s := mustOpen(t, path, fastOpts(pass))
			_, err := s.Load()
			if err == nil || errors.Is(err, ErrBadPassphrase) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Load of a damaged file: %v", err)
			}
		})
	}
}

func TestEncryptDecrypt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portfolio.toml")
	pass, calls := passphrase(testPass)
	s := mustOpen(t, path, fastOpts(pass))
	mustSave(t, s, "v1 plain\n")
	mustSave(t, s, "v2 plain\n")
	mustSave(t, s, "v3 plain\n")
	if err := s.Decrypt(); err != nil { // not encrypted: nothing to do
		t.Fatal(err)
	}
	if string(readFile(t, path)) != "v3 plain\n" || *calls != [2]int{} {
		t.Fatal("Decrypt of a plain file changed something")
	}

	if err := s.Encrypt(); err != nil {
		t.Fatal(err)
	}
	if !s.Encrypted() || !isEncrypted(readFile(t, path)) {
		t.Fatal("file not encrypted after Encrypt")
	}
	checkMode(t, path, 0o600)
	backups, err := s.Backups()
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != 0 {
		t.Fatalf("unencrypted backups left after Encrypt: %v", backups)
	}
	if got := mustLoad(t, s); got != "v3 plain\n" {
		t.Fatalf("Load = %q", got)
	}
	mustSave(t, s, "v4 secret\n")

	// Change the passphrase: the old one reads the encrypted backup, the
	// new one the file.
	const newPass = "tr0ub4dor&3"
	s.opts.Passphrase, calls = passphrase(newPass)
	if err := s.Encrypt(); err != nil {
		t.Fatal(err)
	}
	if *calls != [2]int{0, 1} {
		t.Fatalf("passphrase change asked %v", *calls)
	}
	s.Close()
	pass2, calls2 := passphrase(newPass)
	s2 := mustOpen(t, path, fastOpts(pass2))
	calls = calls2
	if got := mustLoad(t, s2); got != "v4 secret\n" {
		t.Fatalf("Load with the new passphrase = %q", got)
	}

	if err := s2.Decrypt(); err != nil {
		t.Fatal(err)
	}
	if *calls != [2]int{1, 0} { // once, by Load
		t.Fatalf("Decrypt asked the passphrase again: %v", *calls)
	}
	if s2.Encrypted() {
		t.Fatal("Encrypted true after Decrypt")
	}
	if got := string(readFile(t, path)); got != "v4 secret\n" {
		t.Fatalf("file after Decrypt = %q", got)
	}
	checkMode(t, path, 0o600)
	mustSave(t, s2, "v5 plain again\n")
	if got := string(readFile(t, path)); got != "v5 plain again\n" {
		t.Fatalf("Save after Decrypt wrote %q", got)
	}
	// Backups, newest first: the plain v4 replaced by v5, v4 under the new
	// passphrase (replaced by Decrypt), v4 under the old one (replaced by
	// the change of passphrase), v3 under the old one (replaced by v4).
	backups, err = s2.Backups()
	if err != nil || len(backups) != 4 {
		t.Fatalf("Backups = %v, %v", backups, err)
	}
	for i, want := range []struct {
		encrypted bool
		content   string
	}{{false, "v4 secret\n"}, {true, "v4 secret\n"}, {true, "v4 secret\n"}, {true, "v3 plain\n"}} {
		if got := isEncrypted(readFile(t, backups[i].Path)); got != want.encrypted {
			t.Errorf("backup %d: encrypted %v, want %v", i, got, want.encrypted)
		}
		if i >= 2 {
			continue // under the old passphrase
		}
		if got, err := s2.ReadBackup(backups[i]); err != nil || string(got) != want.content {
			t.Errorf("ReadBackup(%d) = %q, %v", i, got, err)
		}
	}
	// Backups from before the change of passphrase need the old one: the
	// store's does not open them, so it is asked for them alone.
	*calls = [2]int{}
	_, err = s2.ReadBackup(backups[3])
	checkPathError(t, err, backups[3].Path, ErrBadPassphrase)
	if *calls != [2]int{1, 0} {
		t.Fatalf("passphrase asked %v for an old backup", *calls)
	}
	s2.opts.Passphrase, calls = passphrase(testPass)
	if got, err := s2.ReadBackup(backups[3]); err != nil || string(got) != "v3 plain\n" {
		t.Fatalf("ReadBackup with the old passphrase = %q, %v", got, err)
	}
	if err := s2.Restore(backups[2]); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, path)); got != "v4 secret\n" {
		t.Fatalf("restored an encrypted backup into a plain store: file holds %q", got)
	}
}

func TestBackupsRotateAndRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.toml")
	s := mustOpen(t, path, Options{Backups: 3})
	if b, err := s.Backups(); err != nil || len(b) != 0 {
		t.Fatalf("Backups before any save = %v, %v", b, err)
	}
	before := time.Now().UTC()
	for i := 1; i <= 6; i++ {
		mustSave(t, s, fmt.Sprintf("version %d\n", i))
	}
	backups, err := s.Backups()
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != 3 {
		t.Fatalf("%d backups, want 3: %v", len(backups), backups)
	}
	for i, b := range backups {
		want := fmt.Sprintf("version %d\n", 5-i) // newest first: 5, 4, 3
		if got := string(readFile(t, b.Path)); got != want {
			t.Errorf("backup %d holds %q, want %q", i, got, want)
		}
		if b.Size != int64(len(want)) {
			t.Errorf("backup %d: Size %d, want %d", i, b.Size, len(want))
		}
		if filepath.Dir(b.Path) != filepath.Join(dir, "backups") || !strings.HasPrefix(filepath.Base(b.Path), "portfolio.toml.") || !strings.HasSuffix(b.Path, ".bak") {
			t.Errorf("backup %d path %s", i, b.Path)
		}
		if b.Time.Before(before.Truncate(time.Second)) || b.Time.After(time.Now().Add(time.Second)) || b.Time.Location() != time.UTC {
			t.Errorf("backup %d time %v", i, b.Time)
		}
		if i > 0 && !b.Time.Before(backups[i-1].Time) {
			t.Errorf("backups not newest first: %v then %v", backups[i-1].Time, b.Time)
		}
		checkMode(t, b.Path, 0o600)
	}
	checkMode(t, filepath.Join(dir, "backups"), 0o700)

	// Files that are not our backups are neither listed nor pruned.
	foreign := []string{"notes.txt", "other.toml.20240101T000000.000000000Z.bak", "portfolio.toml.bak"}
	for _, name := range foreign {
		if err := os.WriteFile(filepath.Join(dir, "backups", name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if err := s.Restore(backups[2]); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s); got != "version 3\n" {
		t.Fatalf("after Restore, Load = %q", got)
	}
	checkMode(t, path, 0o600)
	after, err := s.Backups()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 3 || string(readFile(t, after[0].Path)) != "version 6\n" {
		t.Fatalf("Restore did not back up the version it replaced: %v", after)
	}
	// ...so the restore can be undone.
	if err := s.Restore(after[0]); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s); got != "version 6\n" {
		t.Fatalf("after undoing Restore, Load = %q", got)
	}
	for _, name := range foreign {
		if _, err := os.Stat(filepath.Join(dir, "backups", name)); err != nil {
			t.Errorf("foreign file %s: %v", name, err)
		}
	}

	// Restore only takes this store's backups.
	outside := filepath.Join(dir, "portfolio.toml.20240101T000000.000000000Z.bak")
	if err := os.WriteFile(outside, []byte("evil"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{outside, filepath.Join(dir, "backups", "notes.txt"), filepath.Join(dir, "backups", foreign[1])} {
		checkPathError(t, s.Restore(Backup{Path: p}), p, ErrNotBackup)
	}
	if got := mustLoad(t, s); got != "version 6\n" {
		t.Fatalf("refused Restore changed the file: %q", got)
	}
}

func TestBackupsDisabled(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, filepath.Join(dir, "portfolio.toml"), Options{Backups: -1})
	for i := range 3 {
		mustSave(t, s, fmt.Sprint(i))
	}
	if b, err := s.Backups(); err != nil || len(b) != 0 {
		t.Fatalf("Backups = %v, %v; want none", b, err)
	}
}

func TestBackupCopyFallback(t *testing.T) {
	linkFile = func(oldname, newname string) error {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EXDEV}
	}
	t.Cleanup(func() { linkFile = os.Link })
	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.toml")
	if err := os.WriteFile(path, []byte("v0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, path, Options{Backups: 2})
	for i := 1; i <= 3; i++ {
		mustSave(t, s, fmt.Sprintf("v%d\n", i))
	}
	backups, err := s.Backups()
	if err != nil || len(backups) != 2 {
		t.Fatalf("Backups = %v, %v", backups, err)
	}
	for i, b := range backups {
		if got, want := string(readFile(t, b.Path)), fmt.Sprintf("v%d\n", 2-i); got != want {
			t.Errorf("copied backup holds %q, want %q", got, want)
		}
		checkMode(t, b.Path, 0o600)
	}
	if temps := listTemps(t, dir, "portfolio.toml"); len(temps) != 0 {
		t.Fatalf("temporary files left: %v", temps)
	}
}

func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.toml")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, path, Options{})
	checkMode(t, path, 0o600)
	if err := os.Chmod(path, 0o666); err != nil { // loosened behind our back
		t.Fatal(err)
	}
	mustSave(t, s, "new\n")
	checkMode(t, path, 0o600)
	backups, err := s.Backups()
	if err != nil || len(backups) != 1 {
		t.Fatalf("Backups = %v, %v", backups, err)
	}
	checkMode(t, backups[0].Path, 0o600)
	checkMode(t, path+".lock", 0o600)
}

func TestSymlinkedFile(t *testing.T) {
	realDir, linkDir := t.TempDir(), t.TempDir()
	target := filepath.Join(realDir, "portfolio.toml")
	link := filepath.Join(linkDir, "portfolio.toml")
	if err := os.WriteFile(target, []byte("v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, link, Options{})
	mustSave(t, s, "v2\n")
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("symlink replaced: %v, %v", fi, err)
	}
	if got := string(readFile(t, target)); got != "v2\n" {
		t.Fatalf("target holds %q", got)
	}
	if s.Path() != target {
		t.Errorf("Path() = %s, want %s", s.Path(), target)
	}
	if _, err := os.Stat(filepath.Join(realDir, "backups")); err != nil {
		t.Fatalf("backups not beside the real file: %v", err)
	}
}

func TestReadOnlySecondStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.toml")
	first := mustOpen(t, path, Options{})
	mustSave(t, first, "first\n")

	second := mustOpen(t, path, Options{})
	if !second.ReadOnly() {
		t.Fatal("second store is not read-only")
	}
	reason := second.ReadOnlyReason()
	if !strings.Contains(reason, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(reason, path) || !strings.Contains(reason, "read-only") {
		t.Fatalf("ReadOnlyReason = %q", reason)
	}
	err := second.Save([]byte("second\n"))
	checkPathError(t, err, path, ErrReadOnly)
	if !strings.Contains(err.Error(), "pid") {
		t.Errorf("Save error does not say why: %v", err)
	}
	checkPathError(t, second.Encrypt(), path, ErrReadOnly)
	checkPathError(t, second.Decrypt(), path, ErrReadOnly)
	checkPathError(t, second.Restore(Backup{}), path, ErrReadOnly)
	if got := string(readFile(t, path)); got != "first\n" {
		t.Fatalf("file changed by a read-only store: %q", got)
	}
	if got := mustLoad(t, second); got != "first\n" {
		t.Fatalf("read-only Load = %q", got)
	}
	if _, err := second.Backups(); err != nil {
		t.Fatal(err)
	}
	// Closing the read-only store does not release the writer's lock.
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if third := mustOpen(t, path, Options{}); !third.ReadOnly() {
		t.Fatal("lock lost when a read-only store closed")
	}
	mustSave(t, first, "first again\n")

	// The lock is released on Close.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	checkPathError(t, first.Save([]byte("x")), path, ErrClosed)
	_, err = first.Load()
	checkPathError(t, err, path, ErrClosed)
	after := mustOpen(t, path, Options{})
	if after.ReadOnly() {
		t.Fatalf("still read-only after the holder closed: %s", after.ReadOnlyReason())
	}
	mustSave(t, after, "after\n")
	if got := mustLoad(t, after); got != "after\n" {
		t.Fatalf("Load = %q", got)
	}
}

func TestReadOnlySecondProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.toml")
	s := mustOpen(t, path, Options{})
	mustSave(t, s, "original\n")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := helperCommand("holder", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if want := fmt.Sprintf("locked %d\n", cmd.Process.Pid); line != want {
		t.Fatalf("holder said %q (%v), want %q; stderr: %s", line, err, want, stderr.String())
	}

	ro := mustOpen(t, path, Options{})
	if !ro.ReadOnly() {
		t.Fatal("not read-only while another process holds the lock")
	}
	want := fmt.Sprintf("another hardfolio process (pid %d) holds the lock on %s; opened read-only", cmd.Process.Pid, path)
	if got := ro.ReadOnlyReason(); got != want {
		t.Fatalf("ReadOnlyReason = %q, want %q", got, want)
	}
	checkPathError(t, ro.Save([]byte("overwritten\n")), path, ErrReadOnly)
	if got := string(readFile(t, path)); got != "original\n" {
		t.Fatalf("file changed: %q", got)
	}
	if got := mustLoad(t, ro); got != "original\n" {
		t.Fatalf("read-only Load = %q", got)
	}
	ro.Close()

	// The holder closes its store and exits; the lock is free again.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder: %v: %s", err, stderr.String())
	}
	rw := mustOpen(t, path, Options{})
	if rw.ReadOnly() {
		t.Fatalf("read-only after the holder exited: %s", rw.ReadOnlyReason())
	}
	mustSave(t, rw, "mine now\n")
	if got := string(readFile(t, path)); got != "mine now\n" {
		t.Fatalf("file holds %q", got)
	}
}

func TestStaleTempFilesCleaned(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.toml")
	backupDir := filepath.Join(dir, "backups")
	if err := os.MkdirAll(backupDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("current\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		filepath.Join(dir, ".portfolio.toml.tmp-123456789"),
		filepath.Join(dir, ".portfolio.toml.tmp-42"),
		filepath.Join(backupDir, ".portfolio.toml.bak-tmp-987654321"),
	}
	kept := []string{
		filepath.Join(dir, ".portfolio.toml.tmp-"),          // no random part
		filepath.Join(dir, ".portfolio.toml.tmp-12.34"),     // not what CreateTemp makes
		filepath.Join(dir, ".other.toml.tmp-123"),           // another file's
		filepath.Join(dir, "portfolio.toml.tmp-123"),        // not hidden
		filepath.Join(dir, "notes.txt"),                     // the user's
		filepath.Join(backupDir, ".portfolio.toml.tmp-123"), // wrong directory
		filepath.Join(dir, ".portfolio.toml.bak-tmp-123"),   // wrong directory
	}
	holder := mustOpen(t, path, Options{}) // before the temp files appear
	for _, p := range append(append([]string{}, stale...), kept...) {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// A holder of the lock may be writing them: a read-only Open leaves them.
	ro := mustOpen(t, path, Options{})
	if !ro.ReadOnly() {
		t.Fatal("second store not read-only")
	}
	ro.Close()
	for _, p := range stale {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("read-only Open removed %s", p)
		}
	}
	holder.Close()

	s := mustOpen(t, path, Options{})
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale temp file %s not removed (%v)", filepath.Base(p), err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(p), err)
		}
	}
	if got := mustLoad(t, s); got != "current\n" {
		t.Fatalf("Load = %q", got)
	}
}

func TestConcurrentSaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portfolio.toml")
	s := mustOpen(t, path, Options{Backups: 5})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if err := s.Save(fmt.Appendf(nil, "goroutine %d save %d\n", g, i)); err != nil {
					t.Error(err)
				}
				if _, err := s.Load(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := mustLoad(t, s)
	if !strings.HasPrefix(got, "goroutine ") || !strings.HasSuffix(got, " save 9\n") {
		t.Fatalf("final content %q", got)
	}
	backups, err := s.Backups()
	if err != nil || len(backups) != 5 {
		t.Fatalf("Backups = %d, %v", len(backups), err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "p"), Options{ScryptWorkFactor: 23}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("work factor 23: %v", err)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(blocker, "sub", "portfolio.toml")
	_, err := Open(path, Options{})
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("Open under a file: %v", err)
	}
}
