#!/usr/bin/env bash
# Copies the team's reference fixtures into the repository's test data: testdata/sync.sh <shared-folder>
set -euo pipefail
src="${1:?usage: testdata/sync.sh <shared-folder> (the folder holding fixtures/ and models/)}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -d "$src/fixtures" ]] || { echo "no fixtures/ in $src" >&2; exit 1; }
mkdir -p "$here/fixtures" "$here/models"
cp -R "$src/fixtures/." "$here/fixtures/"
[[ -d "$src/models/spikingbrain-7b" ]] && cp -R "$src/models/spikingbrain-7b" "$here/models/"
chmod -R u+w "$here"
echo "copied into $here:"; (cd "$here" && find fixtures models -type f | sort)
