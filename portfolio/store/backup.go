package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio/store/atomicfile"
)

// backupTimeLayout is the UTC time in a backup's name. It has a fixed width,
// so names sort like times.
const backupTimeLayout = "20060102T150405.000000000Z"

// backupSuffix ends every backup's name.
const backupSuffix = ".bak"

// Backup is one kept old version of the portfolio file.
type Backup struct {
	Path string    // absolute path of the backup file
	Time time.Time // when it was replaced by a newer version (UTC, from its name)
	Size int64     // size of the file in bytes (encrypted size if encrypted)
}

// linkFile makes a hard link; a variable so that tests can make it fail and
// exercise the copying fallback.
var linkFile = os.Link

// Backups lists the backups of the portfolio, newest first. A missing
// backups directory gives an empty list. Backups returns an error naming the
// file and the backups directory when the directory cannot be read, or
// wrapping ErrClosed after Close.
func (s *Store) Backups() ([]Backup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, s.fail("list backups", ErrClosed)
	}
	list, err := s.listBackups()
	if err != nil {
		return nil, s.fail("list backups", err)
	}
	return list, nil
}

// ReadBackup returns the content of backup b, decrypted if it is encrypted,
// so that the caller can check or show it before restoring it. An encrypted
// backup is opened with the store's passphrase if known; otherwise, or if
// the backup predates a change of passphrase, the passphrase is asked for
// that backup alone.
//
// ReadBackup returns an error wrapping ErrNotBackup when b is not in this
// store's backups directory, ErrNoPassphrase or ErrBadPassphrase when it
// cannot be decrypted, ErrClosed after Close, or the error met reading it;
// each names the backup's path.
func (s *Store) ReadBackup(b Backup) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, s.failAt("read backup", b.Path, ErrClosed)
	}
	return s.readBackup(b)
}

// Restore makes backup b the current version of the portfolio, atomically,
// like Save: the version it replaces becomes a backup in turn, so a Restore
// can be undone. The restored content is encrypted if the store is
// encrypted, whatever the backup was.
//
// Restore returns an error wrapping ErrReadOnly, ErrClosed, ErrNotBackup,
// ErrNoPassphrase or ErrBadPassphrase (when an encrypted backup cannot be
// decrypted, as for ReadBackup), or the error met while reading or writing;
// the file is then left as it was.
func (s *Store) Restore(b Backup) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable("restore"); err != nil {
		return err
	}
	data, err := s.readBackup(b)
	if err != nil {
		return err
	}
	return s.replace("restore", data, true)
}

// readBackup checks that b is one of ours and returns its plain content.
func (s *Store) readBackup(b Backup) ([]byte, error) {
	const op = "read backup"
	if filepath.Dir(b.Path) != s.backupDir {
		return nil, s.failAt(op, b.Path, ErrNotBackup)
	}
	if _, ok := s.parseBackupName(filepath.Base(b.Path)); !ok {
		return nil, s.failAt(op, b.Path, ErrNotBackup)
	}
	raw, err := os.ReadFile(b.Path)
	if err != nil {
		return nil, s.failAt(op, b.Path, err)
	}
	if !isEncrypted(raw) {
		return raw, nil
	}
	plain, err := s.decryptBackup(raw)
	if err != nil {
		return nil, s.failAt(op, b.Path, err)
	}
	return plain, nil
}

// backupName is the name of a backup of a version replaced at t.
func (s *Store) backupName(t time.Time) string {
	return s.name + "." + t.UTC().Format(backupTimeLayout) + backupSuffix
}

// parseBackupName returns the time in a backup's name, and false for a
// name that is not one of this file's backups.
func (s *Store) parseBackupName(base string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(base, s.name+".")
	if !ok {
		return time.Time{}, false
	}
	stamp, ok := strings.CutSuffix(rest, backupSuffix)
	if !ok || len(stamp) != len(backupTimeLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(backupTimeLayout, stamp)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// listBackups returns the backups, newest first.
func (s *Store) listBackups() ([]Backup, error) {
	entries, err := os.ReadDir(s.backupDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []Backup
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		t, ok := s.parseBackupName(e.Name())
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		list = append(list, Backup{Path: filepath.Join(s.backupDir, e.Name()), Time: t, Size: info.Size()})
	}
	slices.SortFunc(list, func(a, b Backup) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(b.Path, a.Path)
	})
	return list, nil
}

// backupCurrent keeps the current file, if any, as a new backup. The
// backup appears under its final name only when complete: it is a hard link
// to the file (which is never modified in place, only replaced), or, where
// links are not possible, a copy written to a temporary name, synced and
// renamed.
func (s *Store) backupCurrent() error {
	if _, err := os.Lstat(s.path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(s.backupDir, 0o700); err != nil {
		return fmt.Errorf("create backups directory: %w", err)
	}
	t := time.Now()
	var dst string
	for range 1000 {
		dst = filepath.Join(s.backupDir, s.backupName(t))
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		t = t.Add(time.Microsecond) // a coarse clock: take the next free name
	}
	err := linkFile(s.path, dst)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("back up to %s: %w", dst, err)
	}
	if err != nil {
		if err := s.copyBackup(dst); err != nil {
			return fmt.Errorf("back up to %s: %w", dst, err)
		}
	} else if fi, err := os.Stat(dst); err == nil && fi.Mode().Perm() != 0o600 {
		if err := os.Chmod(dst, 0o600); err != nil {
			return fmt.Errorf("back up to %s: %w", dst, err)
		}
	}
	if err := atomicfile.SyncDir(s.backupDir); err != nil {
		return fmt.Errorf("sync backups directory %s: %w", s.backupDir, err)
	}
	return nil
}

// copyBackup copies the current file to dst through a temporary file.
func (s *Store) copyBackup(dst string) (err error) {
	src, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer src.Close()
	f, err := os.CreateTemp(s.backupDir, s.backupTempPattern())
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = io.Copy(f, src); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// pruneBackups deletes the backups beyond the newest Options.Backups and,
// when the store is encrypted, every unencrypted backup. It is best effort:
// what cannot be deleted now is tried again after the next write.
func (s *Store) pruneBackups() {
	list, err := s.listBackups()
	if err != nil {
		return
	}
	removed := false
	for i, b := range list {
		drop := s.opts.Backups > 0 && i >= s.opts.Backups
		if !drop && s.encrypted {
			head, err := readHead(b.Path)
			drop = err == nil && !isEncrypted(head)
		}
		if drop && os.Remove(b.Path) == nil {
			removed = true
		}
	}
	if removed {
		_ = atomicfile.SyncDir(s.backupDir)
	}
}
