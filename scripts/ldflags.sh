#!/usr/bin/env bash
# Prints the -ldflags that stamp version and commit into the handler binary, and the vendor's
# licence public key when LICENSE_PUBLIC_KEY (base64 of its DER, as 'handler license keygen'
# prints it) is set. RELEASE=1 requires that key: a release must not verify licences with the
# development key, whose private half is in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
flags="-s -w -X github.com/meetingminutes/minutes/shared/buildinfo.Version=${version} -X github.com/meetingminutes/minutes/shared/buildinfo.Commit=${commit}"
if [[ -n ${LICENSE_PUBLIC_KEY:-} ]]; then
	if [[ ! ${LICENSE_PUBLIC_KEY} =~ ^[A-Za-z0-9+/]+=*$ ]]; then
		echo "ldflags: LICENSE_PUBLIC_KEY is not base64" >&2
		exit 2
	fi
	flags+=" -X github.com/meetingminutes/minutes/shared/license.releasePublicKey=${LICENSE_PUBLIC_KEY}"
elif [[ ${RELEASE:-} == 1 ]]; then
	echo "ldflags: RELEASE=1 needs LICENSE_PUBLIC_KEY (the vendor's licence public key, base64 DER)" >&2
	exit 2
fi
echo "$flags"
