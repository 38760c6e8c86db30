package es

import (
	"errors"
	"fmt"
	"strings"
)

// FullDiskAccessSettingsURL opens the Full Disk Access pane of System
// Settings (macOS 13 and later).
const FullDiskAccessSettingsURL = "x-apple.systempreferences:com.apple.settings.PrivacySecurity.extension?Privacy_AllFiles"

// Errors for the reasons an Endpoint Security client (the native one, or
// the one inside eslogger) cannot be created. Test them with errors.Is.
var (
	// ErrESNotEntitled: the binary lacks the
	// com.apple.developer.endpoint-security.client entitlement.
	ErrESNotEntitled = errors.New("the binary lacks the com.apple.developer.endpoint-security.client entitlement " +
		"(it needs an Apple-granted provisioning profile, so an app bundle or system extension; " +
		"use --source=eslogger instead)")
	// ErrESNotPermitted: Full Disk Access has not been granted.
	ErrESNotPermitted = errors.New("Full Disk Access is not granted: allow it for the responsible process " +
		"(the terminal app for a shell, the agent itself under launchd) in System Settings > Privacy & Security > " +
		"Full Disk Access (" + FullDiskAccessSettingsURL + ") or with an MDM PPPC profile, then restart the agent")
	// ErrESNotPrivileged: the process does not run as root.
	ErrESNotPrivileged = errors.New("Endpoint Security needs root: run the agent as root (a LaunchDaemon or sudo)")
	// ErrESTooManyClients: the system's Endpoint Security client limit is reached.
	ErrESTooManyClients = errors.New("too many Endpoint Security clients are running on this Mac")
)

// es_new_client_result_t values (ESTypes.h).
const (
	esNewClientSuccess         = 0
	esNewClientInvalidArgument = 1
	esNewClientInternal        = 2
	esNewClientNotEntitled     = 3
	esNewClientNotPermitted    = 4
	esNewClientNotPrivileged   = 5
	esNewClientTooManyClients  = 6
)

// newClientError maps an es_new_client result to an error, nil for success.
func newClientError(result uint32) error {
	switch result {
	case esNewClientSuccess:
		return nil
	case esNewClientNotEntitled:
		return ErrESNotEntitled
	case esNewClientNotPermitted:
		return ErrESNotPermitted
	case esNewClientNotPrivileged:
		return ErrESNotPrivileged
	case esNewClientTooManyClients:
		return ErrESTooManyClients
	case esNewClientInvalidArgument:
		return errors.New("es_new_client: invalid argument")
	case esNewClientInternal:
		return errors.New("es_new_client: internal error communicating with the Endpoint Security subsystem")
	}
	return fmt.Errorf("es_new_client: unknown result %d", result)
}

// esloggerStderrError recognises the es_new_client result names eslogger
// prints on standard error when it cannot start, and returns the matching
// error, or nil.
func esloggerStderrError(stderr string) error {
	switch {
	case strings.Contains(stderr, "ES_NEW_CLIENT_RESULT_ERR_NOT_PERMITTED"):
		return ErrESNotPermitted
	case strings.Contains(stderr, "ES_NEW_CLIENT_RESULT_ERR_NOT_PRIVILEGED"):
		return ErrESNotPrivileged
	case strings.Contains(stderr, "ES_NEW_CLIENT_RESULT_ERR_TOO_MANY_CLIENTS"):
		return ErrESTooManyClients
	case strings.Contains(stderr, "ES_NEW_CLIENT_RESULT_ERR_NOT_ENTITLED"):
		return ErrESNotEntitled
	}
	return nil
}
