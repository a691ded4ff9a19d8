package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests re-execute their own binary to get a second process: with
// helperEnv set, TestMain runs the named helper instead of the tests.
const (
	helperEnv      = "HARDFOLIO_STORE_TEST_HELPER" // "writer" or "holder"
	helperPathEnv  = "HARDFOLIO_STORE_TEST_PATH"   // the portfolio file
	helperStartEnv = "HARDFOLIO_STORE_TEST_START"  // writer: first version to write
)

// crashBackups is the Backups option of the crash test's writer and checker.
const crashBackups = 4

func TestMain(m *testing.M) {
	switch role := os.Getenv(helperEnv); role {
	case "":
		os.Exit(m.Run())
	case "writer":
		os.Exit(writerProcess())
	case "holder":
		os.Exit(holderProcess())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s %q\n", helperEnv, role)
		os.Exit(2)
	}
}

// helperCommand returns a command re-running this test binary as helper
// role on the portfolio at path. -test.run matches no test, so that if the
// helper were not recognised the binary would do nothing.
func helperCommand(role, path string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, helperPathEnv+"="+path)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// writerProcess opens the portfolio, says "ready", then saves versions
// start, start+1, ... forever, saying "start N" before each Save, until it
// is killed.
func writerProcess() int {
	start, err := strconv.Atoi(os.Getenv(helperStartEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer: bad start version:", err)
		return 2
	}
	s, err := Open(os.Getenv(helperPathEnv), Options{Backups: crashBackups})
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		return 3
	}
	if s.ReadOnly() {
		fmt.Fprintln(os.Stderr, "writer:", s.ReadOnlyReason())
		return 4
	}
	data := versionContent(start) // ready to save as soon as the parent knows
	if _, err := os.Stdout.WriteString("ready\n"); err != nil {
		return 5
	}
	for n := start; ; n++ {
		// os.Stdout is unbuffered: once this returns, the parent will read
		// the line even if the process is killed right after.
		if _, err := fmt.Fprintf(os.Stdout, "start %d\n", n); err != nil {
			return 5
		}
		if err := s.Save(data); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			return 6
		}
		data = versionContent(n + 1)
	}
}

// holderProcess opens the portfolio, says "locked <pid>" and keeps the
// store open until its standard input is closed.
func holderProcess() int {
	s, err := Open(os.Getenv(helperPathEnv), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		return 3
	}
	if s.ReadOnly() {
		fmt.Fprintln(os.Stderr, "holder:", s.ReadOnlyReason())
		return 4
	}
	fmt.Printf("locked %d\n", os.Getpid())
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		return 5
	}
	return 0
}

// versionContent is version n of the crash test's portfolio: a first line
// "version n", lines that all carry n and their offset, and a last line with
// the SHA-256 of the rest. Even versions are about 256 KiB and odd ones
// 48 KiB, so that a file torn between two versions cannot pass for either.
func versionContent(n int) []byte {
	size := 48 << 10
	if n%2 == 0 {
		size = 256 << 10
	}
	b := make([]byte, 0, size+128)
	b = append(b, "version "...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '\n')
	for len(b) < size { // lines "v<n>@<offset> ....", without fmt: it is slow under -race
		b = append(b, 'v')
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, '@')
		off := strconv.AppendInt(make([]byte, 0, 12), int64(len(b)), 10)
		b = append(b, "00000000"[min(len(off), 8):]...)
		b = append(b, off...)
		b = append(b, " ..........................\n"...)
	}
	sum := sha256.Sum256(b)
	b = append(b, "sha256 "...)
	b = hex.AppendEncode(b, sum[:])
	return append(b, '\n')
}

// parseVersion returns the version whose complete content data is, or an
// error describing why data is not a complete version.
func parseVersion(data []byte) (int, error) {
	first, _, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return 0, fmt.Errorf("no first line in %d bytes", len(data))
	}
	numText, ok := strings.CutPrefix(string(first), "version ")
	if !ok {
		return 0, fmt.Errorf("first line %q is not a version line", first)
	}
	n, err := strconv.Atoi(numText)
	if err != nil {
		return 0, fmt.Errorf("first line %q: %v", first, err)
	}
	body := data[:max(0, len(data)-len("sha256 ")-64-1)]
	if want := fmt.Sprintf("sha256 %x\n", sha256.Sum256(body)); !bytes.HasSuffix(data, []byte(want)) {
		return n, fmt.Errorf("version %d: %d bytes, checksum line missing or wrong (torn file)", n, len(data))
	}
	if !bytes.Equal(data, versionContent(n)) {
		return n, fmt.Errorf("version %d: %d bytes, differs from the version written", n, len(data))
	}
	return n, nil
}

// writerRun is what one run of the writer process did before it was killed.
type writerRun struct {
	last  int // last version announced ("start N"), -1 if none
	saves int // number of versions announced
}

// runWriter starts a writer process on path from version start, waits until
// it is ready, lets it write for delay, kills it with SIGKILL and returns
// what it announced.
func runWriter(t *testing.T, path string, start int, delay time.Duration) writerRun {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := helperCommand("writer", path, helperStartEnv+"="+strconv.Itoa(start))
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close() // the child has the only write end now: EOF when it dies

	ready := make(chan bool, 1)
	done := make(chan writerRun, 1)
	go func() {
		run := writerRun{last: -1}
		sc := bufio.NewScanner(r)
		if sc.Scan() && sc.Text() == "ready" {
			ready <- true
		} else {
			ready <- false
		}
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "start ")); err == nil {
				run.last, run.saves = n, run.saves+1
			}
		}
		done <- run
	}()

	select {
	case ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("writer did not start: %s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("writer not ready after 30s: %s", stderr.String())
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill writer: %v", err)
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != -1 {
		t.Fatalf("writer ended by itself (%v) instead of being killed: %s", err, stderr.String())
	}
	return <-done
}
