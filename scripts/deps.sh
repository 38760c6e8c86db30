#!/usr/bin/env bash
# deps.sh installs the tools the tests need, from Debian's archive, when they
# are missing. It is idempotent and silent when everything is present.
#
# Add a tool by adding a "command package" line to TOOLS.
set -euo pipefail

TOOLS=(
	"promtool prometheus" # promtool check metrics / rules, test rules
)

missing=()
for entry in "${TOOLS[@]}"; do
	read -r cmd pkg <<<"$entry"
	if ! command -v "$cmd" >/dev/null 2>&1; then
		missing+=("$pkg")
	fi
done
if ((${#missing[@]} == 0)); then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: missing packages ${missing[*]}, and no apt-get to install them; install them by hand" >&2
	exit 1
fi
sudo=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps.sh: missing packages ${missing[*]}; run as root (or with sudo) to install them" >&2
		exit 1
	fi
	sudo=(sudo)
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
# --no-install-recommends: the prometheus package is wanted for promtool only.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Installing the server package may start it under systemd; the tests never
# need it running.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for pkg in "${missing[@]}"; do
		if [ "$pkg" = prometheus ]; then
			"${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
		fi
	done
fi
