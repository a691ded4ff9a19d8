// Package store is the on-disk home of the hardfolio portfolio file.
//
// It works on bytes and never parses them: the caller's codec validates the
// content before calling Save and after Load. The store adds what a file of
// someone's savings needs around those bytes:
//
//   - one writer at a time: Open takes an exclusive advisory lock on
//     "<file>.lock"; a second process (or a second Store in the same process)
//     opens the file read-only and is told why;
//   - crash-safe writes: Save writes a temporary file in the same directory,
//     syncs it and renames it over the file, so that a process killed at any
//     instant leaves either the old version or the new one, complete;
//   - backups: before each replacement the previous version is kept under
//     "<dir>/backups/<name>.<UTC time>.bak", the newest Options.Backups of them;
//   - optional encryption with an age passphrase (scrypt), detected from the
//     file's header, so an encrypted file is simply one that starts with
//     "age-encryption.org/v1";
//   - mode 0600 on the file, its backups and its lock, and 0700 on the
//     directories the store creates.
//
// Every error names the file it concerns, usually as an *fs.PathError whose
// Op says what was being done.
package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/gofrs/flock"
)

// DefaultBackups is how many old versions a Store keeps when
// Options.Backups is zero.
const DefaultBackups = 10

// Errors reported by a Store, wrapped in an *fs.PathError naming the file;
// test for them with errors.Is.
var (
	// ErrReadOnly is returned by the methods that write when the store was
	// opened read-only, because another process holds the lock (or the lock
	// could not be taken at all).
	ErrReadOnly = errors.New("portfolio is open read-only")
	// ErrBadPassphrase is returned when the passphrase does not decrypt the
	// file or backup.
	ErrBadPassphrase = errors.New("wrong passphrase")
	// ErrNoPassphrase is returned when a passphrase is needed and
	// Options.Passphrase is nil or gave an empty one.
	ErrNoPassphrase = errors.New("no passphrase available")
	// ErrClosed is returned by every method of a Store after Close.
	ErrClosed = errors.New("store is closed")
	// ErrNotBackup is returned by Restore and ReadBackup for a Backup that
	// is not one of this store's backups.
	ErrNotBackup = errors.New("not a backup of this portfolio")
)

// Options tunes a Store. The zero value is usable: ten backups, no
// passphrase, age's default scrypt cost.
type Options struct {
	// Backups is how many old versions to keep in the backups directory.
	// Zero means DefaultBackups; a negative number keeps no new backups
	// and deletes none by count.
	Backups int

	// Passphrase is asked for the passphrase when the file is encrypted
	// (confirm false) or is being encrypted by Encrypt (confirm true: a
	// prompt should ask twice). Load and Save ask it at most once per
	// Store, unless the passphrase it gave turned out to be wrong; the one
	// given to Encrypt is used from then on. An error it returns (a
	// cancelled prompt, say) is passed on wrapped with ErrNoPassphrase. Nil
	// means no passphrase is available: encrypted files cannot be read.
	Passphrase func(confirm bool) ([]byte, error)

	// ScryptWorkFactor is log2 of the scrypt cost used when encrypting,
	// from 1 to 22. Zero means age's default, 18: 256 MiB of memory and a
	// second or more of CPU, spent on every encrypted Save (reading costs
	// what the file was written with). Each step down halves both and
	// halves the cost of guessing the passphrase.
	ScryptWorkFactor int
}

// Store is an open portfolio file. Its methods are safe for concurrent use.
type Store struct {
	mu sync.Mutex

	path      string // the portfolio file, absolute, symlinks resolved
	dir       string // filepath.Dir(path)
	name      string // filepath.Base(path)
	backupDir string // dir/backups
	lockPath  string // path + ".lock"

	opts Options
	lock *flock.Flock

	readOnly bool
	roReason string // for ReadOnlyReason
	roWhy    string // the same, short, for errors that already name the file
	closed   bool

	encrypted bool
	pass      string // the passphrase, once obtained
	havePass  bool
}

// Open opens the portfolio file at path, creating its directory with mode
// 0700 if it is missing. A missing file is not an error: Exists reports
// false and the first Save creates it.
//
// Open takes an exclusive advisory lock on path+".lock" without waiting.
// When another process (or another Store of this process) holds it, the
// store is opened read-only: ReadOnly is true, ReadOnlyReason says who holds
// the lock, and Save, Encrypt, Decrypt and Restore fail with ErrReadOnly.
// When it holds the lock, Open removes temporary files left by a writer that
// was killed, deletes backups in excess as Save does, and sets mode 0600 on
// the file if it had another.
//
// When path is a symbolic link, the store works on the file it points to,
// so the link stays a link; the lock and the backups are beside that file.
//
// Open returns an error, naming the path, when the directory cannot be
// created, the file exists but cannot be inspected, or ScryptWorkFactor is
// out of range.
func Open(path string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open portfolio", Path: path, Err: err}
	}
	if opts.ScryptWorkFactor < 0 || opts.ScryptWorkFactor > maxWorkFactor {
		return nil, &fs.PathError{Op: "open portfolio", Path: abs,
			Err: fmt.Errorf("scrypt work factor %d out of range 1-%d", opts.ScryptWorkFactor, maxWorkFactor)}
	}
	if opts.Backups == 0 {
		opts.Backups = DefaultBackups
	}
	// Write through a symlinked file to its target, so that the rename does
	// not replace the link with a regular file.
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, &fs.PathError{Op: "open portfolio", Path: abs, Err: err}
		}
		abs = real
	}
	s := &Store{
		path:     abs,
		dir:      filepath.Dir(abs),
		name:     filepath.Base(abs),
		lockPath: abs + ".lock",
		opts:     opts,
	}
	s.backupDir = filepath.Join(s.dir, "backups")

	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, s.fail("create directory", err)
	}
	if err := s.acquireLock(); err != nil {
		return nil, err
	}
	if !s.readOnly {
		s.cleanTemps()
		if fi, err := os.Stat(s.path); err == nil && fi.Mode().Perm() != 0o600 {
			if err := os.Chmod(s.path, 0o600); err != nil {
				s.releaseLock()
				return nil, s.fail("set mode 0600 on", err)
			}
		}
	}
	head, err := readHead(s.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.releaseLock()
		return nil, s.fail("open portfolio", err)
	}
	s.encrypted = isEncrypted(head)
	if !s.readOnly {
		s.pruneBackups() // a writer killed before pruning may have left one too many
	}
	return s, nil
}

// Path returns the absolute path of the portfolio file.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the store was opened read-only. It never fails.
func (s *Store) ReadOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readOnly
}

// ReadOnlyReason says why the store is read-only, for showing to the user,
// or returns "" when it is writable. It never fails.
func (s *Store) ReadOnlyReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roReason
}

// Exists reports whether the portfolio file exists now. It reports false
// when the file cannot be inspected at all.
func (s *Store) Exists() bool {
	_, err := os.Stat(s.path)
	return err == nil
}

// Encrypted reports whether the portfolio is encrypted: whether the file
// read by Open or Load was, or the mode set since by Encrypt or Decrypt.
// It never fails.
func (s *Store) Encrypted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.encrypted
}

// Load reads the portfolio file and returns its content, decrypted if the
// file is encrypted. The passphrase is asked for the first time it is
// needed and reused afterwards.
//
// Load returns an error wrapping fs.ErrNotExist when the file does not
// exist, ErrNoPassphrase when it is encrypted and no passphrase is
// available, ErrBadPassphrase when the passphrase is wrong (it is then
// forgotten, and the next Load asks again), ErrClosed after Close, and other
// errors when the file cannot be read or its encryption is damaged; all are
// *fs.PathError values naming the file.
func (s *Store) Load() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, s.fail("load", ErrClosed)
	}
	raw, err := os.ReadFile(s.path)
	if err != nil {
		return nil, s.fail("load", err)
	}
	s.encrypted = isEncrypted(raw)
	if !s.encrypted {
		return raw, nil
	}
	plain, err := s.decrypt(raw)
	if err != nil {
		return nil, s.failAt("load", s.path, err)
	}
	return plain, nil
}

// Save replaces the portfolio file with data, encrypted if the store is.
//
// The replacement is atomic: data goes to a temporary file in the same
// directory (mode 0600) which is synced and renamed over the file, and the
// directory is synced, so a crash leaves either the old or the new version,
// whole. Before the rename the old version is kept in the backups directory
// and, after it, backups beyond Options.Backups are deleted, oldest first.
// An encrypted store also deletes any unencrypted backup.
//
// Save returns an error wrapping ErrReadOnly when the store is read-only,
// ErrClosed after Close, ErrNoPassphrase or ErrBadPassphrase when the file
// is encrypted and Load was not called or had failed and no right
// passphrase can be had, and other errors when writing fails. On any error
// the file is left as it was, except when syncing the directory after the
// rename fails: the new version is then in place but might not survive a
// power cut. Deleting surplus backups is best effort and never makes Save
// fail.
func (s *Store) Save(data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable("save"); err != nil {
		return err
	}
	return s.replace("save", data, true)
}

// Encrypt encrypts the portfolio with a passphrase asked with confirm true,
// rewriting the file atomically, and makes every later Save encrypt. When
// the file does not exist yet, the first Save writes it encrypted. When it
// is already encrypted, Encrypt changes its passphrase (backups keep the
// passphrase they were written with).
//
// So that no readable copy of the portfolio stays behind, Encrypt does not
// back up the unencrypted version it replaces and deletes the unencrypted
// backups.
//
// Encrypt returns an error wrapping ErrReadOnly, ErrClosed, ErrNoPassphrase
// (including for an empty passphrase), ErrBadPassphrase (when the current
// passphrase is needed to read the file and is wrong) or the error met while
// writing; the file is then left as it was.
func (s *Store) Encrypt() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable("encrypt"); err != nil {
		return err
	}
	plain, exists, err := s.readCurrent()
	if err != nil {
		return s.failAt("encrypt", s.path, err)
	}
	newPass, err := s.ask(true)
	if err != nil {
		return s.fail("encrypt", err)
	}
	wasEncrypted, oldPass, hadPass := s.encrypted, s.pass, s.havePass
	s.encrypted, s.pass, s.havePass = true, newPass, true
	if !exists {
		return nil
	}
	// A backup of an unencrypted file would be a readable copy; a backup of
	// an encrypted one is kept under its old passphrase.
	if err := s.replace("encrypt", plain, wasEncrypted); err != nil {
		s.encrypted, s.pass, s.havePass = wasEncrypted, oldPass, hadPass
		return err
	}
	return nil
}

// Decrypt stores the portfolio unencrypted from now on, rewriting the file
// atomically if it is encrypted. It does nothing when the portfolio is not
// encrypted. The encrypted version it replaces is kept as a backup.
//
// Decrypt returns an error wrapping ErrReadOnly, ErrClosed, ErrNoPassphrase
// or ErrBadPassphrase (when the file cannot be decrypted), or the error met
// while writing; the file is then left as it was.
func (s *Store) Decrypt() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable("decrypt"); err != nil {
		return err
	}
	plain, exists, err := s.readCurrent()
	if err != nil {
		return s.failAt("decrypt", s.path, err)
	}
	if !s.encrypted {
		return nil
	}
	s.encrypted = false
	if !exists {
		return nil
	}
	if err := s.replace("decrypt", plain, true); err != nil {
		s.encrypted = true
		return err
	}
	return nil
}

// Close releases the lock so that another process can write the portfolio.
// Every later call of the store's methods fails with ErrClosed; closing
// again does nothing and returns nil. Close returns an error naming the
// lock file when the lock cannot be released.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.pass, s.havePass = "", false
	if err := s.releaseLock(); err != nil {
		return &fs.PathError{Op: "release lock", Path: s.lockPath, Err: err}
	}
	return nil
}

// writable returns nil when the store may write, else the error to return.
func (s *Store) writable(op string) error {
	switch {
	case s.closed:
		return s.fail(op, ErrClosed)
	case s.readOnly:
		return s.fail(op, fmt.Errorf("%w (%s)", ErrReadOnly, s.roWhy))
	}
	return nil
}

// readCurrent returns the current content of the file, decrypted, and
// whether the file exists.
func (s *Store) readCurrent() (plain []byte, exists bool, err error) {
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	s.encrypted = isEncrypted(raw)
	if !s.encrypted {
		return raw, true, nil
	}
	plain, err = s.decrypt(raw)
	return plain, true, err
}

// replace writes content as the new version of the file, encrypting it if
// the store is encrypted, keeping a backup of the old version when
// keepBackup is set and backups are enabled, and pruning backups. The
// caller holds s.mu and has checked that the store is writable.
func (s *Store) replace(op string, content []byte, keepBackup bool) error {
	data := content
	if s.encrypted {
		if err := s.ensurePassForWrite(); err != nil {
			return s.failAt(op, s.path, err)
		}
		enc, err := s.encrypt(content)
		if err != nil {
			return s.fail(op, err)
		}
		data = enc
	}
	if keepBackup && s.opts.Backups > 0 {
		if err := s.writeAtomic(data, s.backupCurrent); err != nil {
			return s.fail(op, err)
		}
	} else if err := s.writeAtomic(data, nil); err != nil {
		return s.fail(op, err)
	}
	s.pruneBackups()
	return nil
}

// ensurePassForWrite makes sure an encrypted Save has the file's passphrase.
// Normally Load obtained it; otherwise it is asked now and checked against
// the file on disk, so that a mistyped passphrase cannot silently re-key
// the portfolio.
func (s *Store) ensurePassForWrite() error {
	if s.havePass {
		return nil
	}
	raw, err := os.ReadFile(s.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err == nil && isEncrypted(raw) {
		_, err := s.decrypt(raw) // asks, and keeps the passphrase if right
		return err
	}
	pass, err := s.ask(false)
	if err != nil {
		return err
	}
	s.pass, s.havePass = pass, true
	return nil
}

// ask calls Options.Passphrase.
func (s *Store) ask(confirm bool) (string, error) {
	if s.opts.Passphrase == nil {
		return "", ErrNoPassphrase
	}
	p, err := s.opts.Passphrase(confirm)
	if err != nil {
		if errors.Is(err, ErrNoPassphrase) {
			return "", err
		}
		return "", fmt.Errorf("%w: %w", ErrNoPassphrase, err)
	}
	if len(p) == 0 {
		return "", fmt.Errorf("%w: empty passphrase", ErrNoPassphrase)
	}
	return string(p), nil
}

// fail wraps err as an *fs.PathError on the portfolio file.
func (s *Store) fail(op string, err error) error {
	return s.failAt(op, s.path, err)
}

// failAt wraps err as an *fs.PathError on path, dropping an inner
// *fs.PathError on the same path so that the path is not said twice.
func (s *Store) failAt(op, path string, err error) error {
	if pe, ok := err.(*fs.PathError); ok && pe.Path == path {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}

// readHead returns the first bytes of the file at path, enough to recognise
// an encrypted one.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 64)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return bytes.Clone(buf[:n]), nil
}
