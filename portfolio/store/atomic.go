package store

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Temporary files are hidden and named after the file they will replace,
// with the random digits os.CreateTemp puts in place of the "*":
//
//	<dir>/.<name>.tmp-<random>              a new version being written
//	<dir>/backups/.<name>.bak-tmp-<random>  a backup being copied
//
// Open removes files matching these patterns (and only those), which can
// only be left by a writer that was killed, since it holds the lock.
const (
	tempInfix       = ".tmp-"
	backupTempInfix = ".bak-tmp-"
)

// tempPattern is the os.CreateTemp pattern for a new version of the file.
func (s *Store) tempPattern() string { return "." + s.name + tempInfix + "*" }

// backupTempPattern is the os.CreateTemp pattern for a backup being copied.
func (s *Store) backupTempPattern() string { return "." + s.name + backupTempInfix + "*" }

// isTemp reports whether base is a temporary file name made from the
// pattern "." + name + infix + "*".
func isTemp(base, name, infix string) bool {
	rest, ok := strings.CutPrefix(base, "."+name+infix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// cleanTemps removes the temporary files left by a killed writer. It is
// best effort: a file that cannot be removed is left for the next Open.
func (s *Store) cleanTemps() {
	for _, d := range []struct{ dir, infix string }{
		{s.dir, tempInfix},
		{s.backupDir, backupTempInfix},
	} {
		entries, err := os.ReadDir(d.dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Type().IsRegular() && isTemp(e.Name(), s.name, d.infix) {
				_ = os.Remove(filepath.Join(d.dir, e.Name()))
			}
		}
	}
}

// writeAtomic replaces s.path with data: it writes a temporary file with
// mode 0600 in the same directory, syncs and closes it, calls beforeRename
// (if not nil; an error from it abandons the write), renames the temporary
// file over s.path and syncs the directory. Whatever happens, s.path holds
// either its old content or data, and the temporary file is removed on
// failure.
func (s *Store) writeAtomic(data []byte, beforeRename func() error) (err error) {
	f, err := os.CreateTemp(s.dir, s.tempPattern())
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
	// CreateTemp already uses 0600, less the umask; make it exactly 0600.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if beforeRename != nil {
		if err = beforeRename(); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, s.path); err != nil {
		return err
	}
	// The new version is in place; a failure to sync the directory only
	// means the rename might not survive a power cut, and is reported.
	if serr := syncDir(s.dir); serr != nil {
		return &os.PathError{Op: "sync directory", Path: s.dir, Err: serr}
	}
	return nil
}

// syncDir flushes a directory's entries (a rename, a link, a removal) to
// disk. File systems that cannot sync a directory are not an error.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	return err
}
