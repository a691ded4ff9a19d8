// Package atomicfile writes files so that a reader sees either the old
// content or the new, never a mix: the data goes to a hidden temporary file
// (".<name>.tmp-*") in the same directory, is synced to disk, and then
// renamed over the target; the directory is synced after the rename so the
// new name survives a crash. The portfolio store and the wallet's caches,
// labels and PSBT files all write through it.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Write replaces the file at path with data, creating the parent directory
// (mode 0700) when needed. The file gets mode perm. On error the old file,
// if any, is untouched and the temporary file is removed.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteWith(path, data, perm, nil)
}

// WriteWith is Write with a hook that runs once the new content is on
// disk, just before the rename; an error from it abandons the write.
func WriteWith(path string, data []byte, perm os.FileMode, beforeRename func() error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("set file mode: %w", err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if beforeRename != nil {
		if err = beforeRename(); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	// The new version is in place; a failure to sync the directory only
	// means the rename might not survive a power cut, and is reported.
	if serr := SyncDir(dir); serr != nil {
		return &os.PathError{Op: "sync directory", Path: dir, Err: serr}
	}
	return nil
}

// SyncDir flushes a directory's entries (a rename, a link, a removal) to
// disk. File systems that cannot sync a directory are not an error.
func SyncDir(dir string) error {
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
