//go:build linux || darwin

package summary

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain doubles as the peer client of TestUnixDisallowedUID: with
// ESTALLY_PEER_SOCKET set, the test binary (run under another uid) connects,
// asks for a summary, prints what it got and exits.
func TestMain(m *testing.M) {
	if path := os.Getenv("ESTALLY_PEER_SOCKET"); path != "" {
		peerClient(path)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func peerClient(path string) {
	c, err := net.Dial("unix", path)
	if err != nil {
		fmt.Println("DIAL ERROR", err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte(`{"op":"get"}` + "\n"))
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Println("REPLY", strings.TrimSpace(line), "uid", os.Getuid())
}
