#!/usr/bin/env bash
# Builds the `centime` command as one self-contained file for linux-x64: it runs without the .NET SDK or runtime.
#   ./scripts/publish.sh            → ./artifacts/bin/centime
#   ./scripts/publish.sh DIR        → DIR/centime
# Needs the .NET SDK (global.json) and, the first time, NuGet to restore the linux-x64 runtime packs; after that it
# works offline. MSBuild prints each project as it builds, so the first (few-minute) build shows its progress.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$here/artifacts/bin}" && cd "${1:-$here/artifacts/bin}" && pwd)
echo "[publish] building centime (self-contained single file, linux-x64) into $out" >&2
started=$(date +%s)
dotnet publish "$here/src/Centime.Cli/Centime.Cli.csproj" -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true --nologo -v minimal --disable-build-servers -o "$out" >&2
echo "[publish] $out/centime $("$out/centime" --version) in $(( $(date +%s) - started )) s" >&2
