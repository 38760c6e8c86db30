// Command seedcompare is the headline benchmark: it runs the seed's design
// (one message per event, forwarded over a Unix socket to a host process
// through an unbounded queue, as the seed's asynchronous XPC sends were)
// beside estally (events folded in-process, one summary per interval pushed
// to the same host) under the same synthetic flood, and reports per case the
// events per second sustained, the CPU of agent and host, the agent's RSS
// over time and the messages delivered per second.
//
// Every run is bounded in time (--duration) and the baseline's queue in
// memory (--queue-cap-bytes); the report says when the cap was hit.
//
// Usage: go run ./bench/cmd/seedcompare [--duration=8s] [--markdown]
//
// It re-executes itself for each role (--role=baseline|estally|host) so that
// CPU and RSS are measured per process.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	role := flag.String("role", "", "internal: baseline, estally or host")
	duration := flag.Duration("duration", 8*time.Second, "length of each case")
	socket := flag.String("socket", "", "internal: socket path")
	hostDelay := flag.Duration("host-delay", 0, "internal: time the host takes per message")
	subscribe := flag.Bool("subscribe", false, "internal: the host subscribes to estally instead of listening")
	queueCap := flag.Int64("queue-cap-bytes", 1<<30, "cap on the baseline forwarder's queue (bytes of queued messages)")
	interval := flag.Duration("summary-interval", time.Second, "estally's summary interval")
	writers := flag.Int("writers", 100, "writers of the synthetic flood profile")
	flag.Parse()

	var err error
	switch *role {
	case "":
		err = orchestrate(*duration, *queueCap, *interval, *writers)
	case "baseline":
		err = runBaseline(*socket, *duration, *queueCap, *writers)
	case "estally":
		err = runEstally(*socket, *duration, *interval, *writers)
	case "host":
		err = runHost(*socket, *duration, *hostDelay, *subscribe)
	default:
		err = fmt.Errorf("unknown role %q", *role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "seedcompare %s: %v\n", *role, err)
		os.Exit(1)
	}
}

// agentReport is what an agent role prints as its last stdout line.
type agentReport struct {
	Events       uint64  `json:"events"`
	Seconds      float64 `json:"seconds"`
	Sent         uint64  `json:"sent"`
	MaxQueued    uint64  `json:"max_queued_messages"`
	MaxQueuedB   int64   `json:"max_queued_bytes"`
	CapHitAfter  float64 `json:"cap_hit_after_seconds"` // 0: never
	DroppedAtCap uint64  `json:"dropped_at_cap"`
}

// hostReport is what the host prints as its last stdout line.
type hostReport struct {
	Messages uint64  `json:"messages"`
	Bytes    uint64  `json:"bytes"`
	Seconds  float64 `json:"seconds"`
}

type caseResult struct {
	name      string
	agent     agentReport
	host      hostReport
	agentCPU  float64 // cores
	hostCPU   float64
	rss       []float64 // MiB, one sample per second
	peakRSS   float64
	agentFail string
}

func orchestrate(d time.Duration, queueCap int64, interval time.Duration, writers int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "seedcmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	common := []string{"--duration=" + d.String(), fmt.Sprintf("--writers=%d", writers)}
	cases := []struct {
		name    string
		design  string
		delay   time.Duration
		estally bool
	}{
		{"seed design, fast host", "baseline", 0, false},
		{"seed design, host 1 ms/message", "baseline", time.Millisecond, false},
		{"estally, fast host", "estally", 0, true},
		{"estally, host 1 ms/message", "estally", time.Millisecond, true},
	}
	var results []caseResult
	for i, c := range cases {
		sock := filepath.Join(dir, fmt.Sprintf("c%d.sock", i))
		agentArgs := append([]string{"--role=" + c.design, "--socket=" + sock,
			fmt.Sprintf("--queue-cap-bytes=%d", queueCap), "--summary-interval=" + interval.String()}, common...)
		hostArgs := append([]string{"--role=host", "--socket=" + sock, "--host-delay=" + c.delay.String()}, common...)
		if c.estally {
			hostArgs = append(hostArgs, "--subscribe")
		}
		// The listener starts first: the host for the seed design (the
		// host app vends the service), the agent for estally.
		first, second := hostArgs, agentArgs
		if c.estally {
			first, second = agentArgs, hostArgs
		}
		fmt.Fprintf(os.Stderr, "case %q ...\n", c.name)
		p1, out1, err := start(exe, first)
		if err != nil {
			return err
		}
		if err := waitForSocket(sock, 5*time.Second); err != nil {
			p1.Process.Kill()
			return err
		}
		p2, out2, err := start(exe, second)
		if err != nil {
			p1.Process.Kill()
			return err
		}
		agentP, hostP, agentOut, hostOut := p2, p1, out2, out1
		if c.estally {
			agentP, hostP, agentOut, hostOut = p1, p2, out1, out2
		}
		r := caseResult{name: c.name}
		r.rss, r.peakRSS, r.agentCPU, r.hostCPU = sample(agentP.Process.Pid, hostP.Process.Pid, d)
		errA, errH := agentP.Wait(), hostP.Wait()
		if err := lastJSON(agentOut, &r.agent); err != nil || errA != nil {
			return fmt.Errorf("%s: agent: %v %v", c.name, errA, err)
		}
		if err := lastJSON(hostOut, &r.host); err != nil || errH != nil {
			return fmt.Errorf("%s: host: %v %v", c.name, errH, err)
		}
		results = append(results, r)
	}
	printReport(os.Stdout, results, d, queueCap, interval, writers)
	return nil
}

func start(exe string, args []string) (*exec.Cmd, *bytes.Buffer, error) {
	cmd := exec.Command(exe, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	return cmd, &out, cmd.Start()
}

func waitForSocket(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("socket %s did not appear", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func lastJSON(out *bytes.Buffer, v any) error {
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return json.Unmarshal([]byte(lines[len(lines)-1]), v)
}

func printReport(w io.Writer, rs []caseResult, d time.Duration, queueCap int64, interval time.Duration, writers int) {
	fmt.Fprintf(w, "Synthetic flood profile (%d writers, full speed), %s per case, summary interval %s, baseline queue cap %d MiB.\n\n",
		writers, d, interval, queueCap>>20)
	fmt.Fprintln(w, "| case | events/s sustained | messages delivered/s | agent CPU (cores) | host CPU (cores) | agent RSS peak (MiB) | queue cap hit |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---|")
	for _, r := range rs {
		capHit := "—"
		if r.agent.CapHitAfter > 0 {
			capHit = fmt.Sprintf("after %.1f s (%d events dropped)", r.agent.CapHitAfter, r.agent.DroppedAtCap)
		} else if r.agent.MaxQueued > 0 {
			capHit = fmt.Sprintf("no (max queued %d msgs, %d MiB)", r.agent.MaxQueued, r.agent.MaxQueuedB>>20)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.2f | %.2f | %.0f | %s |\n", r.name,
			float64(r.agent.Events)/r.agent.Seconds, float64(r.host.Messages)/r.host.Seconds,
			r.agentCPU, r.hostCPU, r.peakRSS, capHit)
	}
	fmt.Fprintln(w, "\nAgent RSS over time (MiB, one sample per second):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| case | RSS by second |")
	fmt.Fprintln(w, "|---|---|")
	for _, r := range rs {
		s := make([]string, len(r.rss))
		for i, v := range r.rss {
			s[i] = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(w, "| %s | %s |\n", r.name, strings.Join(s, " → "))
	}
}
