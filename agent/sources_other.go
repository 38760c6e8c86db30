//go:build !linux && !darwin

package agent

// platformSources lists the platform-only source factories: none here.
func platformSources() []sourceFactory {
	return nil
}
