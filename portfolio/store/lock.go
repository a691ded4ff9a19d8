package store

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// acquireLock tries the lock on s.lockPath without waiting. On success it
// writes this process's id into the lock file; when another holder has it,
// or the lock cannot be taken at all, the store becomes read-only with the
// reason recorded.
func (s *Store) acquireLock() error {
	s.lock = flock.New(s.lockPath, flock.SetPermissions(0o600))
	ok, err := s.lock.TryLock()
	if err != nil {
		s.readOnly = true
		s.roWhy = fmt.Sprintf("the lock could not be taken: %v", err)
		s.roReason = fmt.Sprintf("could not lock %s (%v); opened read-only", s.path, err)
		return nil
	}
	if !ok {
		s.readOnly = true
		s.roWhy = s.holder()
		s.roReason = fmt.Sprintf("%s holds the lock on %s; opened read-only", s.roWhy, s.path)
		return nil
	}
	// The pid is only informative, for the message above; failing to
	// write it does not prevent writing the portfolio.
	_ = os.Chmod(s.lockPath, 0o600)
	_ = os.WriteFile(s.lockPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return nil
}

// holder names the holder of the lock, from the pid it wrote.
func (s *Store) holder() string {
	b, err := os.ReadFile(s.lockPath)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	switch {
	case err != nil || perr != nil || pid <= 0:
		return "another hardfolio process"
	case pid == os.Getpid():
		return fmt.Sprintf("another open store of this hardfolio process (pid %d)", pid)
	default:
		return fmt.Sprintf("another hardfolio process (pid %d)", pid)
	}
}

// releaseLock empties the pid from the lock file, so that it cannot be
// mistaken for a later holder's, and releases the lock. The lock file stays:
// removing it would let two processes lock two different files.
func (s *Store) releaseLock() error {
	if s.lock == nil || !s.lock.Locked() {
		return nil
	}
	_ = os.Truncate(s.lockPath, 0)
	return s.lock.Close()
}
