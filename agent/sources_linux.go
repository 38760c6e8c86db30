package agent

// platformSources lists the linux-only source factories, in the order
// --source=auto tries them.
func platformSources() []sourceFactory {
	return []sourceFactory{fanotifySource()}
}
