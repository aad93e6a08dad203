#!/usr/bin/env bash
# Runs the whole test suite: installs test dependencies, builds, runs every test project, checks formatting.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
./scripts/install-deps.sh
dotnet build Centime.slnx -c Release --nologo -v q
status=0
dotnet test Centime.slnx -c Release --no-build --nologo -v q --logger "console;verbosity=normal" "$@" || status=$?
# Formatting as .editorconfig says (indentation, spacing, line breaks): whitespace only and by folder, so it needs no
# build and takes seconds; analyzer and code-style rules are already errors in the build (Directory.Build.props).
# Checked after the tests so a stray space does not hide their results; fix with: dotnet format whitespace --folder
if ! dotnet format whitespace --folder --verify-no-changes -v q; then
  echo "[test] formatting differs from .editorconfig: run 'dotnet format whitespace --folder' (CONTRIBUTING.md)" >&2
  status=1
fi
exit $status
