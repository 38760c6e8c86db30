// Command writer generates the file-write storms estally's attack tests and
// benchmarks measure: a one-byte write flood, and a path scan. It runs for a
// fixed time, then prints one line: writes=N files=F seconds=S rate=R.
//
//	writer -mode=flood -threads=100 -dir=/tmp/x -duration=10s
//	writer -mode=scan -threads=2 -every=10 -dir=/tmp/x -duration=10s
//	writer -mode=steady -interval=1ms -dir=/tmp/x -duration=10s
//
// flood: each thread writes one byte at offset 0 of its own file in a tight
// loop. scan: each thread creates a new file, writes one byte `every` times,
// closes it (and with -remove removes it), and starts over (a new path every `every` writes).
// steady: one thread writes one byte every interval to one file.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

func main() { os.Exit(run()) }

func run() int {
	mode := flag.String("mode", "flood", "flood, scan or steady")
	threads := flag.Int("threads", 2, "writer threads (flood, scan)")
	every := flag.Int("every", 10, "writes per file (scan)")
	remove := flag.Bool("remove", false, "remove each file after writing it (scan)")
	interval := flag.Duration("interval", time.Millisecond, "pause between writes (steady)")
	dir := flag.String("dir", os.TempDir(), "directory to write in")
	duration := flag.Duration("duration", 10*time.Second, "how long to write")
	flag.Parse()
	if *threads < 1 || *every < 1 {
		fmt.Fprintln(os.Stderr, "writer: -threads and -every must be at least 1")
		return 2
	}
	// One OS thread per writer, running at once: the threads of a real
	// attacker are not multiplexed onto the machine's cores by a runtime.
	runtime.GOMAXPROCS(max(*threads, runtime.NumCPU()))

	var writes, files atomic.Uint64
	var stop atomic.Bool
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	worker := func(i int) {
		defer wg.Done()
		runtime.LockOSThread()
		var err error
		switch *mode {
		case "flood":
			err = flood(filepath.Join(*dir, "flood-"+strconv.Itoa(i)), &stop, &writes)
		case "scan":
			err = scan(*dir, i, *every, *remove, &stop, &writes, &files)
		case "steady":
			err = steady(filepath.Join(*dir, "steady"), *interval, &stop, &writes)
		default:
			err = fmt.Errorf("unknown mode %q", *mode)
		}
		if err != nil {
			failed.Store(err)
			stop.Store(true)
		}
	}
	n := *threads
	if *mode == "steady" {
		n = 1
	}
	for i := range n {
		wg.Add(1)
		go worker(i)
	}
	time.Sleep(*duration)
	stop.Store(true)
	wg.Wait()
	secs := time.Since(start).Seconds()
	if err, _ := failed.Load().(error); err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		return 1
	}
	fmt.Printf("writes=%d files=%d seconds=%.3f rate=%.0f\n", writes.Load(), files.Load(), secs, float64(writes.Load())/secs)
	return 0
}

var one = []byte{'x'}

func flood(path string, stop *atomic.Bool, writes *atomic.Uint64) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var n uint64
	for !stop.Load() {
		for range 256 {
			if _, err := unix.Pwrite(fd, one, 0); err != nil {
				return err
			}
		}
		n += 256
	}
	writes.Add(n)
	return nil
}

func scan(dir string, thread, every int, remove bool, stop *atomic.Bool, writes, files *atomic.Uint64) error {
	prefix := filepath.Join(dir, "scan-"+strconv.Itoa(thread)+"-")
	var n, f uint64
	for i := 0; !stop.Load(); i++ {
		path := prefix + strconv.Itoa(i)
		fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		for range every {
			if _, err := unix.Write(fd, one); err != nil {
				unix.Close(fd)
				return err
			}
		}
		unix.Close(fd)
		if remove {
			if err := unix.Unlink(path); err != nil {
				return err
			}
		}
		n += uint64(every)
		f++
	}
	writes.Add(n)
	files.Add(f)
	return nil
}

func steady(path string, interval time.Duration, stop *atomic.Bool, writes *atomic.Uint64) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var n uint64
	for !stop.Load() {
		if _, err := unix.Pwrite(fd, one, 0); err != nil {
			return err
		}
		n++
		time.Sleep(interval)
	}
	writes.Add(n)
	return nil
}
