#!/usr/bin/env bash
# Debian packages the Python dependencies cannot bring themselves:
#   runtime: Pango/HarfBuzz for WeasyPrint (PDF report) and a font;
#   test:    the above, plus Chromium (driven by Playwright, never downloaded), poppler's pdftotext and,
#            when no java is on PATH, a Java runtime for the Spark tests.
# Idempotent and quiet when everything is present, so make can call it on every run.
set -euo pipefail
want=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [[ "${1:-runtime}" == "test" ]]; then
  want+=(chromium poppler-utils)
  # The Spark tests need a Java runtime (17+; Debian's default JRE is 17 on bookworm, 21 on trixie).
  command -v java >/dev/null || want+=(default-jre-headless)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "installing Debian packages: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
