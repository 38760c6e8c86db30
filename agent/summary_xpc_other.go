//go:build !darwin

package agent

import (
	"flag"
	"time"

	"github.com/estally/estally/summary"
)

// xpcConfig is empty where there is no XPC.
type xpcConfig struct{}

func (*xpcConfig) addFlags(*flag.FlagSet) {}

func (*xpcConfig) start(*summary.Hub, time.Duration, extensionEnv) ([]component, error) {
	return nil, nil
}
