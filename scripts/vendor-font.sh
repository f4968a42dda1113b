#!/usr/bin/env bash
#
# vendor-font.sh - vendor the CJK font that internal/certpdf embeds into the
# volunteer service certificates (志愿服务记录证明).
#
# The PDF must show Chinese on any reader without relying on the reader's
# fonts, so the font is embedded (certpdf subsets it: only the glyphs a
# certificate uses end up in the PDF). The binary embeds the committed file
# via go:embed; a fresh machine builds from the committed copy and never runs
# this script. The script documents where the file came from and refreshes it.
#
# Source: Debian's fonts-droid-fallback (Droid Sans Fallback Full, Apache-2.0,
# Google). It is one ~4 MB TrueType (glyf, not CFF) file covering GB 2312 and
# most of CJK Unified Ideographs, which is what go-pdf/fpdf's UTF-8 font
# support reads. It has no Latin letters or digits: certpdf sets those in
# Helvetica, a PDF standard font that needs no embedding.
#
# What it does:
#   1. installs fonts-droid-fallback with apt-get if it is missing;
#   2. verifies the font's sha256 against FONT_SHA256 below (aborts on mismatch);
#   3. copies into internal/certpdf/fonts/:
#        DroidSansFallbackFull.ttf  the font
#        COPYRIGHT                  Debian's copyright file (Apache-2 notice)
#        LICENSE                    the full Apache License 2.0 text
#
# HOW TO UPGRADE: install the newer package, run
#   sha256sum /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
# put the new sum in FONT_SHA256 (and the package version in FONT_PACKAGE_VERSION),
# rerun this script, run `go test ./internal/certpdf/...`, look at a rendered
# certificate, and commit the script together with fonts/.
#
# Requirements: bash, apt-get (Debian), sha256sum; root to install the package.

set -euo pipefail

# ---- pinned font --------------------------------------------------------------
FONT_PACKAGE="fonts-droid-fallback"
FONT_PACKAGE_VERSION="1:6.0.1r16-1.1" # Debian bookworm, as vendored
FONT_SRC="/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
FONT_SHA256="acb6440a713d880a13a21b468ba7cd43f5a2b2934972e51be791c880730777b8"
COPYRIGHT_SRC="/usr/share/doc/${FONT_PACKAGE}/copyright"
LICENSE_SRC="/usr/share/common-licenses/Apache-2.0"
# -------------------------------------------------------------------------------

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
FONT_DIR="${REPO_ROOT}/internal/certpdf/fonts"

if ! dpkg -s "${FONT_PACKAGE}" >/dev/null 2>&1; then
	echo "vendor-font: installing ${FONT_PACKAGE}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${FONT_PACKAGE}" >/dev/null
fi

installed="$(dpkg-query -W -f='${Version}' "${FONT_PACKAGE}")"
if [[ "${installed}" != "${FONT_PACKAGE_VERSION}" ]]; then
	echo "vendor-font: note: ${FONT_PACKAGE} ${installed} installed, ${FONT_PACKAGE_VERSION} pinned; the checksum decides" >&2
fi

for f in "${FONT_SRC}" "${COPYRIGHT_SRC}" "${LICENSE_SRC}"; do
	if [[ ! -f "${f}" ]]; then
		echo "vendor-font: missing ${f}" >&2
		exit 1
	fi
done

actual="$(sha256sum "${FONT_SRC}" | cut -d' ' -f1)"
if [[ "${actual}" != "${FONT_SHA256}" ]]; then
	echo "vendor-font: CHECKSUM MISMATCH for ${FONT_SRC}" >&2
	echo "  expected ${FONT_SHA256}" >&2
	echo "  actual   ${actual}" >&2
	exit 1
fi
echo "vendor-font: ${FONT_SRC} sha256 OK" >&2

mkdir -p "${FONT_DIR}"
install -m 0644 "${FONT_SRC}" "${FONT_DIR}/DroidSansFallbackFull.ttf"
install -m 0644 "${COPYRIGHT_SRC}" "${FONT_DIR}/COPYRIGHT"
install -m 0644 "${LICENSE_SRC}" "${FONT_DIR}/LICENSE"

echo "vendor-font: wrote ${FONT_DIR#"${REPO_ROOT}"/}:" >&2
(cd "${FONT_DIR}" && find . -type f | LC_ALL=C sort | sed 's|^\./|  |') >&2
