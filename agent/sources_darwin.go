package agent

// platformSources lists the darwin-only source factories, in the order
// --source=auto tries them.
func platformSources() []sourceFactory {
	return nil
}
