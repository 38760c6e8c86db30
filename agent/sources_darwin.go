package agent

// platformSources lists the darwin-only source factories, in the order
// --source=auto tries them: the native Endpoint Security client first; the
// eslogger source (listed with the common sources) comes after it.
func platformSources() []sourceFactory {
	return []sourceFactory{endpointSecuritySource()}
}
