#!/usr/bin/env bash
# Runs the whole test suite: installs test dependencies, builds, runs every test project.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
./scripts/install-deps.sh
dotnet build Centime.slnx -c Release --nologo -v q
dotnet test Centime.slnx -c Release --no-build --nologo -v q --logger "console;verbosity=normal" "$@"
