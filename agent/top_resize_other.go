//go:build !unix

package agent

import "os"

// notifyResize does nothing where there is no SIGWINCH; the view keeps its
// initial size.
func notifyResize(chan<- os.Signal) {}
