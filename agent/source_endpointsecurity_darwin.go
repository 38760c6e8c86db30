package agent

import "github.com/estally/estally/es"

// endpointSecuritySource offers es.EndpointSecurity as
// --source=endpointsecurity: a native Endpoint Security client (needs the
// endpoint-security entitlement, root and Full Disk Access; see
// docs/macos.md). --source=auto chooses it when a client can be created.
func endpointSecuritySource() sourceFactory {
	return sourceFactory{
		name:  "endpointsecurity",
		usage: "macOS Endpoint Security client (needs the ES entitlement, root and Full Disk Access)",
		open: func(env sourceEnv) (source, error) {
			return es.NewEndpointSecurity(es.EndpointSecurityConfig{
				Logger: env.logger,
				Mute: es.MuteConfig{
					PIDs:         []int32{int32(env.pid)},
					Executables:  env.mute.executables,
					PathPrefixes: env.mute.pathPrefixes,
				},
			})
		},
		probe: es.ProbeEndpointSecurity,
	}
}
