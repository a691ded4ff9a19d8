package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// hardfolioBinary builds hardfolio into a temporary directory of tb.
func hardfolioBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "hardfolio")
	gobin := "go"
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	}
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ptyEnv is the environment of a child under the pty: an xterm that
// would be asked for its background colour, with HOME and the XDG
// directories in dir, and without CI (which would make the terminal
// library skip its query and hide a stall).
func ptyEnv(dir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CI", "TERM", "COLORTERM", "COLORFGBG", "NO_COLOR", "HOME",
			"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
			"HARDFOLIO_THEME", "HARDFOLIO_EXIT_AFTER_FIRST_FRAME", "HARDFOLIO_PASSPHRASE":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TERM=xterm-256color", "HOME="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_STATE_HOME="+filepath.Join(dir, "state"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	return append(env, extra...)
}

// ptyRun is one run of the binary under a pty that never answers: the
// child's stdin, stdout and stderr are the pty, it is the session leader
// with the pty as its controlling terminal (so a terminal query would
// wait for an answer), and the test only reads what it writes.
type ptyRun struct {
	elapsed time.Duration
	state   *os.ProcessState
	output  []byte
	timeout bool
}

func runUnderPTY(tb testing.TB, deadline time.Duration, env []string, bin string, args ...string) ptyRun {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	start := time.Now()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		tb.Fatalf("start under a pty: %v", err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		// Read everything the child writes and answer nothing.
		_, _ = io.Copy(&out, ptmx)
		close(copied)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var r ptyRun
	select {
	case <-done:
		r.elapsed = time.Since(start)
	case <-time.After(deadline):
		r.elapsed = time.Since(start)
		r.timeout = true
		_ = cmd.Process.Kill()
		<-done
	}
	r.state = cmd.ProcessState
	// Drain what the child wrote before closing the master: closing it
	// first throws away output still buffered in the pty, which a busy
	// machine leaves there. The read ends (EIO) once the buffer is empty,
	// since the child, the only holder of the other side, has exited.
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		ptmx.Close()
		<-copied
	}
	r.output = out.Bytes()
	return r
}

// TestStartupDoesNotWaitForTheTerminal runs `hardfolio demo
// --exit-after-first-frame` under a pty that never answers a query and
// requires it to exit within 2.5 s. bubbletea and lipgloss v1 ask the
// terminal for its background colour at start-up and wait five seconds
// for an answer that never comes; hardfolio must not. (It exits in tens of
// milliseconds; the margin is for a machine busy with other tests. Start-up
// time itself is measured by BenchmarkColdStart.)
func TestStartupDoesNotWaitForTheTerminal(t *testing.T) {
	bin := hardfolioBinary(t)
	const deadline = 2500 * time.Millisecond
	for _, args := range [][]string{
		{"demo", "--exit-after-first-frame"},
		{"demo", "--exit-after-first-frame", "--theme", "light"},
		{"--demo"}, // the root command, with the exit asked through the environment
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runUnderPTY(t, deadline, ptyEnv(t.TempDir(), "HARDFOLIO_EXIT_AFTER_FIRST_FRAME=1"), bin, args...)
			t.Logf("hardfolio %s: exited after %v", strings.Join(args, " "), r.elapsed)
			if r.timeout {
				t.Fatalf("still running after %v: start-up waits for the terminal\noutput: %q", deadline, r.output)
			}
			if !r.state.Success() {
				t.Fatalf("exit status %v\noutput: %q", r.state, r.output)
			}
			if !strings.Contains(string(r.output), "Net worth") {
				t.Fatalf("no frame was drawn: %q", r.output)
			}
			for _, q := range []string{"\x1b]11;?", "\x1b[6n"} {
				if strings.Contains(string(r.output), q) {
					t.Fatalf("the terminal was queried (%q)", q)
				}
			}
		})
	}
}
