//go:build !(darwin || linux || freebsd || netbsd || openbsd)

package es

import (
	"context"
	"errors"
	"os"
)

var errEsloggerExec = errors.New("eslogger: spawning eslogger is not supported on this platform; pipe its output to --eslogger.input=- instead")

func (e *Eslogger) runExec(context.Context, Sink) error { return errEsloggerExec }

// ProbeEslogger reports that eslogger cannot be spawned on this platform.
func ProbeEslogger(string) error { return errEsloggerExec }

func interruptible(f *os.File) *os.File { return f }
