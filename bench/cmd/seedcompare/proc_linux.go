package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// sample polls the agent's RSS every second and both processes' CPU time for
// d (plus a little), returning the RSS series (MiB), the peak RSS (polled
// every 100 ms) and each process's average CPU in cores.
func sample(agentPID, hostPID int, d time.Duration) (rss []float64, peak, agentCPU, hostCPU float64) {
	start := time.Now()
	a0, h0 := cpuTicks(agentPID), cpuTicks(hostPID)
	var a1, h1 uint64
	next := start.Add(time.Second)
	for time.Since(start) < d {
		time.Sleep(100 * time.Millisecond)
		r := rssMiB(agentPID)
		peak = max(peak, r)
		if a := cpuTicks(agentPID); a > 0 {
			a1 = a
		}
		if h := cpuTicks(hostPID); h > 0 {
			h1 = h
		}
		if time.Now().After(next) && r > 0 {
			rss = append(rss, r)
			next = next.Add(time.Second)
		}
	}
	secs := time.Since(start).Seconds()
	agentCPU = float64(a1-min(a0, a1)) / clockTicks / secs
	hostCPU = float64(h1-min(h0, h1)) / clockTicks / secs
	return rss, peak, agentCPU, hostCPU
}

// cpuTicks returns utime+stime of pid from /proc/pid/stat, 0 if gone.
func cpuTicks(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return u + st
}

// rssMiB returns VmRSS of pid in MiB, 0 if gone.
func rssMiB(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
