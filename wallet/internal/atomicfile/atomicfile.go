// Package atomicfile writes files so that a reader sees either the old
// content or the new, never a mix: the data goes to a hidden temporary file
// in the same directory, is synced to disk, and then renamed over the target;
// the directory is synced after the rename so the new name survives a crash.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces the file at path with data, creating the parent directory
// (mode 0700) when needed. The file gets mode perm. On error the old file,
// if any, is untouched and the temporary file is removed.
func Write(path string, data []byte, perm os.FileMode) (err error) {
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
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable. It is best effort: some systems cannot
// open or sync a directory, and the data itself is already on disk.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
