package agent

// commonSources lists the source factories available on every platform.
func commonSources() []sourceFactory {
	return []sourceFactory{syntheticSource(), esloggerSource()}
}

// sourceFactories lists every source this build offers, platform sources
// first: that is the order --source=auto tries them in.
func sourceFactories() []sourceFactory {
	return append(platformSources(), commonSources()...)
}
