package store

import (
	"os"
	"path/filepath"
	"strings"

	"codeberg.org/hardfolio/hardfolio/portfolio/store/atomicfile"
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

// writeAtomic replaces s.path with data, mode 0600, through atomicfile:
// beforeRename (if not nil) runs once data is on disk; whatever happens,
// s.path holds either its old content or data.
func (s *Store) writeAtomic(data []byte, beforeRename func() error) error {
	return atomicfile.WriteWith(s.path, data, 0o600, beforeRename)
}
