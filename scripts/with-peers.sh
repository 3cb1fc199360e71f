#!/usr/bin/env bash
# Runs a command with other versions of peer dependencies installed, then restores the lockfile's.
#
#   bash scripts/with-peers.sh "graphql@17.1.0 ioredis@6" npm run test:integration
#
# The first argument is a space-separated list of npm package specs, installed with
# `npm install --no-save` (package.json and package-lock.json are left as they are); the rest is the
# command. The lockfile's versions are restored with `npm ci` afterwards, whether the command passed,
# failed or was interrupted. Exits with the command's status (or npm's, if the install failed).
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: bash scripts/with-peers.sh \"<pkg@version> [<pkg@version> ...]\" <command> [args...]" >&2
  exit 64
fi

peers="$1"
shift
cd "$(dirname "$0")/.."

restore() {
  echo "with-peers: restoring the lockfile's versions (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
}
trap restore EXIT

# shellcheck disable=SC2086 # the peer list is split on spaces on purpose
npm install --no-save --no-audit --no-fund --loglevel=error $peers >&2
for spec in $peers; do
  name="${spec%@*}"
  [ -z "$name" ] && name="$spec"
  echo "with-peers: $name $(node -p "require('./node_modules/$name/package.json').version" 2>/dev/null || echo '(version not readable)')" >&2
done

status=0
"$@" || status=$?
exit "$status"
