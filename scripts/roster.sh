#!/usr/bin/env bash
# Retrains the built-in wrestlers' signature profiles into src/Ringside.Assets/Roster (the committed models and
# roster.json with their evaluations). Deterministic: the same files on every machine and every run
# (about 22 minutes on the AVX2 VM of session 15, about 12 on the AVX-512 one of session 17). Pass --only NAME[,NAME] to retrain some of them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/ringside" roster train --out "$root/src/Ringside.Assets/Roster" "$@"
