//go:build darwin

package agent

import (
	"context"
	"flag"
	"time"

	"github.com/estally/estally/summary"
)

// xpcConfig holds the darwin-only --summary.xpc-* flags.
type xpcConfig struct {
	service         string
	peerRequirement string
}

func (c *xpcConfig) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.service, "summary.xpc-service", "", "XPC mach service to serve summaries on (it must be in the launchd plist's MachServices); empty disables XPC")
	fs.StringVar(&c.peerRequirement, "summary.xpc-peer-requirement", "", "code-signing requirement XPC peers must meet (macOS 12+), e.g. 'anchor apple generic and certificate leaf[subject.OU] = \"TEAMID\"'")
}

func (c *xpcConfig) start(hub *summary.Hub, interval time.Duration, env extensionEnv) ([]component, error) {
	if c.service == "" {
		return nil, nil
	}
	l, err := summary.ListenXPC(summary.XPCConfig{
		Service:         c.service,
		PeerRequirement: c.peerRequirement,
		Hub:             hub,
		Interval:        interval,
		Logger:          env.logger.With("transport", summary.TransportXPC),
	})
	if err != nil {
		return nil, err
	}
	env.logger.Info("serving summaries over XPC", "service", c.service)
	return []component{{name: "summary-xpc", run: func(ctx context.Context) error {
		<-ctx.Done()
		l.Close()
		return nil
	}}}, nil
}
