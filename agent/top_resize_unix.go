//go:build unix

package agent

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyResize delivers SIGWINCH (terminal resized) to c.
func notifyResize(c chan<- os.Signal) { signal.Notify(c, syscall.SIGWINCH) }
