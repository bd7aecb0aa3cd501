#!/usr/bin/env bash
# Print the sha256 line RELEASED.yaml needs for each rule set file given (run once, when a version is released).
set -euo pipefail
for f in "$@"; do
  printf '%s: %s\n' "$(basename "$f" .yaml)" "$(sha256sum "$f" | cut -d' ' -f1)"
done
