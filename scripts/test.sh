#!/usr/bin/env bash
# Runs every test of Ringside on a fresh machine that has only the .NET SDK (and Node.js/npm):
# starts a throwaway PostgreSQL server (installing Debian's package when missing) for the storage tests,
# restores packages, builds Release, runs each test project, and prints one summary line
# "tests: N passed, N failed, N skipped".
#
#   scripts/test.sh               one run (CI's)
#   scripts/test.sh --repeat N    N runs in a row, each run's summary and duration, then "repeat: K of N runs passed"
#   scripts/test.sh --stress      one run while a background load keeps every core busy (shakes out timing assumptions)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

case "${1:-}" in
  --repeat)
    runs="${2:-}"
    [[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --repeat needs a number of runs (1 or more)" >&2; exit 2; }
    passed_runs=0
    for ((run = 1; run <= runs; run++)); do
      start=$SECONDS
      # The run's output goes to a file first, then to stderr through this shell's descriptor (tee /dev/stderr would
      # reopen a redirected log at offset 0 and overwrite it).
      out="$(mktemp)"
      "$0" >"$out" 2>&1; code=$?
      cat "$out" >&2
      summary="$(grep -E '^tests: ' "$out" | tail -1)"
      rm -f "$out"
      echo "run $run of $runs: ${summary:-tests: no summary} in $((SECONDS - start)) s (exit $code)"
      [ "$code" -eq 0 ] && passed_runs=$((passed_runs + 1))
    done
    echo "repeat: $passed_runs of $runs runs passed"
    [ "$passed_runs" -eq "$runs" ]; exit $? ;;
  --stress)
    # One busy loop per core, at the same priority as the tests, for the whole run.
    load=()
    for ((core = 0; core < $(nproc); core++)); do ( while :; do :; done ) & load+=($!); done
    start=$SECONDS
    "$0"; code=$?
    kill "${load[@]}" 2>/dev/null; wait "${load[@]}" 2>/dev/null
    echo "stress: exit $code in $((SECONDS - start)) s with $(nproc) busy loops beside the tests"
    exit $code ;;
  "") ;;
  *) echo "test.sh: unknown option '$1' (use --repeat N or --stress)" >&2; exit 2 ;;
esac

pgdir="$(mktemp -d /tmp/ringside-pg.XXXXXX)"
pgport="${RINGSIDE_TEST_PG_PORT:-55432}"
if ! RINGSIDE_TEST_POSTGRES="$(scripts/postgres.sh start "$pgdir" "$pgport")"; then
  echo "tests: 0 passed, 1 failed (could not start PostgreSQL)"; exit 1
fi
export RINGSIDE_TEST_POSTGRES
trap 'scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1' EXIT

# The browser tests (tests/Ringside.Web.Tests) drive Debian's chromium; the web UI's three.js is vendored from npm.
if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || { echo "tests: 0 passed, 1 failed (could not install chromium)"; exit 1; }
fi
scripts/web.sh || { echo "tests: 0 passed, 1 failed (scripts/web.sh failed)"; exit 1; }
# The API document's checks (tests/Ringside.Server.Tests/ApiDocumentTests.cs) run Redocly's linter and Stoplight Prism,
# npm packages pinned in tests/openapi/package-lock.json.
(cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error >&2) || { echo "tests: 0 passed, 1 failed (npm ci in tests/openapi failed)"; exit 1; }

dotnet build Ringside.slnx -c Release --nologo -v quiet -clp:ErrorsOnly || { echo "tests: 0 passed, 1 failed (build failed)"; exit 1; }

# The conventions of .editorconfig (whitespace, import order, file-scoped namespaces): `dotnet format Ringside.slnx`
# applies them; here any file that does not follow them fails the run, with the places listed.
format_status=0
echo "== dotnet format --verify-no-changes"
dotnet format Ringside.slnx --verify-no-changes --no-restore -v quiet || { format_status=1; echo "format: files differ from .editorconfig's conventions (run: dotnet format Ringside.slnx)"; }

log="$(mktemp)"
status=0
for project in tests/*/*.csproj; do
  echo "== $project"
  dotnet test "$project" -c Release --no-build --nologo 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
# The simulation indexes its arrays without bounds checks in Release (src/Ringside.Sim/Slots.cs); its tests also run
# in Debug, where every index is checked, so that an out-of-range index fails here instead of corrupting memory.
echo "== tests/Ringside.Sim.Tests (Debug: bounds-checked indexing)"
dotnet test tests/Ringside.Sim.Tests -c Debug --nologo 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# Sum the per-project summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12").
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- +Failed: ' "$log" | awk -F'[:,]' '
  { failed += $2; passed += $4; skipped += $6 } END { print passed+0, failed+0, skipped+0 }')
rm -f "$log"
[ "$format_status" -eq 0 ] || failed=$((failed + 1))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ] || status=1
exit $status
