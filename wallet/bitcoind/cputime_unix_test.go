//go:build unix

package bitcoind

import "syscall"

// processCPU returns the CPU time (user and system) the process has used,
// in microseconds, or -1 if unknown.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}
