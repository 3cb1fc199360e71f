#!/usr/bin/env bash
# Peer matrix: `bash scripts/peer-matrix.sh oldest|newest` installs the oldest (resp. newest) tested
# version of every peer dependency over the lockfile's (npm install --no-save), runs the tests against
# them (the whole suite, `npm test`, for the newest; for the oldest the unit, integration and system
# tiers but the playground's test in Chromium, then the packed types compiled against them by
# `npm run types:check`), then restores the lockfile's versions with `npm ci` (also when the tests fail).
# The versions below are the ends of the ranges in package.json's peerDependencies and of README's
# "Requirements and install" table: change the three together.
set -euo pipefail
cd "$(dirname "$0")/.."

# The oldest version of each range that passes the tests (found by bisection, December 2026), all
# installed together.
OLDEST=(
  graphql@16.11.0 # @apollo/server 5.0.0 itself requires ^16.11.0
  @apollo/server@5.0.0
  graphql-yoga@5.12.0
  @envelop/core@5.0.0
  @trpc/server@11.25.2 # older 11.x: an input-less mutation with an empty body is 400 (getRawInput parses "")
  @trpc/client@11.25.2
  ioredis@5.3.0 # older 5.x: no named `Redis` export in ESM (`import { Redis } from 'ioredis'`)
  pg@8.0.3 # 8.0.0–8.0.2: Client#connect never resolves on Node.js 14 and newer
  @apollo/client@4.0.0
  @urql/core@5.0.0
  wonka@6.3.2 # what @urql/core 5.0 itself requires: an older wonka is a second copy, and src/urql does not type-check against it
  @tanstack/query-core@5.89.0 # older 5.x: mutationFn gets no MutationFunctionContext (idempotentMutationFn refuses)
  @opentelemetry/api@1.9.0
  redis@5.12.4 # node-redis
)
# The newest release of each range's newest major. @apollo/server 5 requires graphql ^16.11.0: with
# graphql 17 installed, its tests run outside Apollo Server's own peer range.
NEWEST=(
  graphql@17.1.0
  @apollo/server@5.5.1
  graphql-yoga@5.24.1
  @envelop/core@5.6.1
  @trpc/server@11.25.2
  @trpc/client@11.25.2
  ioredis@6.1.0
  pg@8.23.1
  @apollo/client@4.3.8
  @urql/core@6.0.3
  wonka@6.3.6
  @tanstack/query-core@5.108.4
  @opentelemetry/api@1.10.0
  redis@6.4.0 # node-redis
)

case "${1:-}" in
  oldest) peers=("${OLDEST[@]}") ;;
  newest) peers=("${NEWEST[@]}") ;;
  *)
    echo "usage: bash scripts/peer-matrix.sh oldest|newest" >&2
    exit 2
    ;;
esac

restore() {
  echo "peer-matrix: restoring the lockfile's versions (npm ci)"
  npm ci --no-audit --no-fund >/dev/null
}
trap restore EXIT

# The package the types check packs, built from this source (before the peers change).
if [ "$1" = oldest ]; then npm run build >/dev/null; fi

echo "peer-matrix ($1): ${peers[*]}"
# --legacy-peer-deps: @apollo/server 5 declares graphql ^16 only; with graphql 17 the Apollo plugin
# refuses to start (its tests skip themselves), the rest runs on graphql 17.
npm install --no-save --no-audit --no-fund --legacy-peer-deps "${peers[@]}" >/dev/null
# What is installed now, from each package itself (a failed or partial install shows here).
for spec in "${peers[@]}"; do
  name="${spec%@*}"
  wanted="${spec##*@}"
  got="$(node -p "require('./node_modules/$name/package.json').version")"
  if [ "$got" != "$wanted" ]; then
    echo "peer-matrix: $name is $got, not $wanted" >&2
    exit 1
  fi
done

if [ "$1" = newest ]; then
  npm test
else
  bash scripts/ensure-system-deps.sh
  # Not the type tests (`--project types`): they compile the tests too, and the tests' own dev
  # dependencies (@urql/exchange-retry 2 needs @urql/core 6) do not type-check against the oldest peers.
  npx vitest run --project unit --project integration --project system \
    --exclude test/system/playground/browser.test.ts
  npm run types:check
fi
