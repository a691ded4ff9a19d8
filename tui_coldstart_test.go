package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// BenchmarkColdStart measures a start of the binary to its first frame
// and exit, under a pty that never answers a query: the embedded demo
// (`hardfolio demo --exit-after-first-frame`) and a portfolio of 1,000
// holdings read from a data directory. It reports the peak resident set
// of the child as maxrss-MB.
func BenchmarkColdStart(b *testing.B) {
	bin := hardfolioBinary(b)

	b.Run("demo", func(b *testing.B) {
		env := ptyEnv(b.TempDir())
		coldStart(b, env, bin, "demo", "--exit-after-first-frame")
	})

	b.Run("1000", func(b *testing.B) {
		home := b.TempDir()
		dir := filepath.Join(home, "portfolio")
		bk, err := book.Open(dir, book.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := bk.Save(portfolio.Generate(1000, 1, time.Now())); err != nil {
			b.Fatal(err)
		}
		if err := bk.Close(); err != nil {
			b.Fatal(err)
		}
		// The root command has no flag for it: the environment asks for
		// the single frame.
		env := ptyEnv(home, "HARDFOLIO_EXIT_AFTER_FIRST_FRAME=1")
		coldStart(b, env, bin, "--data-dir", dir)
	})
}

func coldStart(b *testing.B, env []string, bin string, args ...string) {
	b.Helper()
	var maxRSS int64
	var cpu time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		r := runUnderPTY(b, 10*time.Second, env, bin, args...)
		if r.timeout || !r.state.Success() {
			b.Fatalf("hardfolio %s: timeout %v, state %v\noutput: %q", strings.Join(args, " "), r.timeout, r.state, r.output)
		}
		cpu += r.state.UserTime() + r.state.SystemTime()
		if ru, ok := r.state.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss // KB on Linux
		}
	}
	b.StopTimer()
	// CPU time of the child: what start-up costs, apart from waiting for a
	// busy machine's scheduler.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	if !strings.Contains(string(runUnderPTY(b, 10*time.Second, env, bin, args...).output), "Net worth") {
		b.Fatal("no frame drawn")
	}
	b.ReportMetric(float64(maxRSS)/1024, "maxrss-MB")
}
