#!/usr/bin/env bash
# Stages the Azure Functions app and zips it (make package; azd's prepackage hook):
#
#   .build/functionapp/host.json
#   .build/functionapp/handler                  linux/amd64, static (CGO_ENABLED=0), mode 0755
#   .build/functionapp/<Function>/function.json one per functions/<Function>/, nothing else
#   .build/functionapp.zip                      the same tree, Unix modes kept (scripts/zipdir)
#
# The tree and the zip are checked with shared/functionapp before this exits 0.
#
# Environment:
#   PACKAGE_SKIP_BUILD=1  reuse .build/functionapp/handler if it exists instead of building
#   PACKAGE_OUT_DIR=DIR   write DIR/functionapp and DIR/functionapp.zip (default .build)
#   VERSION, COMMIT       passed on to scripts/ldflags.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir=${PACKAGE_OUT_DIR:-.build}
stage=$out_dir/functionapp
zip=$out_dir/functionapp.zip

mkdir -p "$stage"
build=1
if [[ ${PACKAGE_SKIP_BUILD:-} == 1 && -f $stage/handler ]]; then
	build=0
	echo "package: reusing $stage/handler (PACKAGE_SKIP_BUILD=1)" >&2
	find "$stage" -mindepth 1 -maxdepth 1 ! -name handler -exec rm -rf {} +
else
	find "$stage" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
fi

if ((build)); then
	echo "package: building $stage/handler (linux/amd64)" >&2
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 \
		go build -trimpath -ldflags "$(scripts/ldflags.sh)" -o "$stage/handler" ./handler
fi
chmod 0755 "$stage/handler"

cp host.json "$stage/host.json"
chmod 0644 "$stage/host.json"
for fn in functions/*/; do
	name=$(basename "$fn")
	if [[ ! -f $fn/function.json ]]; then
		echo "package: skipping functions/$name: no function.json" >&2
		continue
	fi
	mkdir -p "$stage/$name"
	cp "$fn/function.json" "$stage/$name/function.json"
	chmod 0644 "$stage/$name/function.json"
done

# Run the zipper for this machine even if GOOS/GOARCH are exported for cross builds.
env -u GOOS -u GOARCH go run ./scripts/zipdir -check "$stage" "$zip"
echo "package: wrote $stage and $zip" >&2
