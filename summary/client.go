package summary

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// maxLineBytes bounds a line the client accepts from the agent.
const maxLineBytes = 16 << 20

// Client talks to an agent's Unix socket. It holds no connection between
// calls; each call dials.
type Client struct {
	// Path is the socket path.
	Path string
	// Timeout bounds dialing and a pull (default 5s).
	Timeout time.Duration
}

// Received is one summary as the client received it.
type Received struct {
	Summary *Summary
	// Raw is the line, without its newline.
	Raw []byte
}

// ErrAgent wraps an error line sent by the agent.
var ErrAgent = errors.New("agent error")

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 5 * time.Second
}

func (c *Client) dial(ctx context.Context, req []byte) (net.Conn, *bufio.Reader, error) {
	d := net.Dialer{Timeout: c.timeout()}
	conn, err := d.DialContext(ctx, "unix", c.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("summary socket: %w", err)
	}
	conn.SetWriteDeadline(time.Now().Add(c.timeout()))
	if _, err := conn.Write(req); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("summary socket: send request: %w", err)
	}
	return conn, bufio.NewReaderSize(conn, 64<<10), nil
}

// Get pulls the current summary.
func (c *Client) Get(ctx context.Context) (Received, error) {
	conn, r, err := c.dial(ctx, []byte(`{"op":"get"}`+"\n"))
	if err != nil {
		return Received{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	conn.SetReadDeadline(time.Now().Add(c.timeout()))
	return readSummary(r)
}

// Subscribe asks for pushes every interval (0 for the agent's interval) and
// calls fn with each summary until ctx is done (it then returns nil), fn
// returns an error, or the connection fails.
func (c *Client) Subscribe(ctx context.Context, interval time.Duration, fn func(Received) error) error {
	req := []byte(`{"op":"subscribe"}` + "\n")
	if interval > 0 {
		req = fmt.Appendf(nil, `{"op":"subscribe","interval":%q}`+"\n", interval.String())
	}
	conn, r, err := c.dial(ctx, req)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	for {
		rec, err := readSummary(r)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// readSummary reads one line: a summary, or an error line.
func readSummary(r *bufio.Reader) (Received, error) {
	var line []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			return Received{}, fmt.Errorf("summary socket: read: %w", err)
		}
		line = append(line, chunk...)
		if len(line) > maxLineBytes {
			return Received{}, fmt.Errorf("summary socket: line longer than %d bytes", maxLineBytes)
		}
		if !isPrefix {
			break
		}
	}
	var probe struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return Received{}, fmt.Errorf("summary socket: decode: %w", err)
	}
	if probe.Error != nil {
		return Received{}, fmt.Errorf("%w: %s", ErrAgent, *probe.Error)
	}
	var s Summary
	if err := json.Unmarshal(line, &s); err != nil {
		return Received{}, fmt.Errorf("summary socket: decode: %w", err)
	}
	return Received{Summary: &s, Raw: line}, nil
}
