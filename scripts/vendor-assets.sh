#!/usr/bin/env bash
#
# vendor-assets.sh - vendor third-party JS/CSS from the npm registry into
# internal/web/static/vendor/ so that nothing is loaded from a CDN at run time.
#
# The files are embedded into the Go binary (internal/web/static, package
# static) and served under content-hashed URLs by internal/web/assets.
#
# What it does, for each pinned package below:
#   1. `npm pack <name>@<version>` into a temporary directory;
#   2. verifies the tarball's sha512 against `npm view <name>@<version>
#      dist.integrity` (aborts on mismatch);
#   3. extracts it and copies only the files we need, plus the package's
#      LICENSE, into a staging directory;
# then replaces internal/web/static/vendor/ with the staging directory and
# writes vendor/VERSIONS.txt (name, version, integrity).
#
# Layout produced:
#   vendor/htmx/htmx.min.js, vendor/htmx/LICENSE
#   vendor/leaflet/leaflet.js, vendor/leaflet/leaflet.css, vendor/leaflet/LICENSE
#   vendor/leaflet/images/{marker-icon,marker-icon-2x,marker-shadow,layers,layers-2x}.png
#     (leaflet.css refers to them as url(images/...), so they must stay in
#     images/ next to leaflet.css)
#   vendor/echarts/echarts.min.js, vendor/echarts/LICENSE
#   vendor/VERSIONS.txt
#
# The script is idempotent: it always rebuilds vendor/ from scratch, and with
# unchanged pins it reproduces byte-identical files. vendor/ is owned by this
# script; do not edit files in it by hand.
#
# HOW TO UPGRADE a package:
#   1. look up the new version, e.g.
#        npm view htmx.org versions --json    # stay on 2.x
#        npm view leaflet versions --json     # stay on 1.9.x
#   2. change the pinned version below (HTMX_VERSION / LEAFLET_VERSION);
#   3. rerun:   scripts/vendor-assets.sh
#   4. review `git diff --stat internal/web/static/vendor`, check the app
#      (go test ./internal/web/...; a quick look at a map page and an htmx
#      form), and commit vendor/ together with this script.
# Content-hashed URLs change automatically, so browsers pick up the new files.
#
# Requirements: bash, npm (reaching the npm registry), tar, openssl.

set -euo pipefail

# ---- pinned versions (exact) ------------------------------------------------
HTMX_VERSION="2.0.11"     # latest 2.x as of vendoring (npm "latest" is 4.x: not used)
LEAFLET_VERSION="1.9.4"   # latest 1.9.x as of vendoring
ECHARTS_VERSION="6.1.0"   # latest as of vendoring (charts of survey results)
# -----------------------------------------------------------------------------

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
VENDOR_DIR="${REPO_ROOT}/internal/web/static/vendor"

for tool in npm tar openssl; do
	if ! command -v "${tool}" >/dev/null 2>&1; then
		echo "vendor-assets: required tool not found: ${tool}" >&2
		exit 1
	fi
done

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/vendor-assets.XXXXXX")"
trap 'rm -rf "${WORK_DIR}"' EXIT
STAGE="${WORK_DIR}/stage"
mkdir -p "${STAGE}"

VERSIONS_BODY=""

# fetch NAME VERSION -> extracts into ${WORK_DIR}/NAME/package, records integrity
fetch() {
	local name="$1" version="$2"
	local spec="${name}@${version}"
	local dir="${WORK_DIR}/${name}"
	mkdir -p "${dir}"

	echo "vendor-assets: fetching ${spec}" >&2
	local expected
	expected="$(npm view "${spec}" dist.integrity)"
	if [[ "${expected}" != sha512-* ]]; then
		echo "vendor-assets: ${spec}: unexpected dist.integrity '${expected}'" >&2
		exit 1
	fi

	local tarball
	tarball="$(cd "${dir}" && npm pack "${spec}" --silent --ignore-scripts | tail -n 1)"
	tarball="${dir}/${tarball}"
	if [[ ! -f "${tarball}" ]]; then
		echo "vendor-assets: ${spec}: npm pack produced no tarball" >&2
		exit 1
	fi

	local actual
	actual="sha512-$(openssl dgst -sha512 -binary "${tarball}" | openssl base64 -A)"
	if [[ "${actual}" != "${expected}" ]]; then
		echo "vendor-assets: ${spec}: INTEGRITY MISMATCH" >&2
		echo "  expected ${expected}" >&2
		echo "  actual   ${actual}" >&2
		exit 1
	fi
	echo "vendor-assets: ${spec}: integrity OK" >&2

	tar -xzf "${tarball}" -C "${dir}"
	VERSIONS_BODY+="$(printf '%-10s %-8s %s' "${name}" "${version}" "${expected}")"$'\n'
}

# put SRC DEST: copy one file with fixed permissions; fails if SRC is missing
put() {
	local src="$1" dest="$2"
	if [[ ! -f "${src}" ]]; then
		echo "vendor-assets: missing file in package: ${src#"${WORK_DIR}"/}" >&2
		exit 1
	fi
	mkdir -p "$(dirname "${dest}")"
	cp "${src}" "${dest}"
	chmod 0644 "${dest}"
}

# ---- htmx --------------------------------------------------------------------
fetch htmx.org "${HTMX_VERSION}"
pkg="${WORK_DIR}/htmx.org/package"
put "${pkg}/dist/htmx.min.js" "${STAGE}/htmx/htmx.min.js"
put "${pkg}/LICENSE"          "${STAGE}/htmx/LICENSE"

# ---- leaflet -----------------------------------------------------------------
fetch leaflet "${LEAFLET_VERSION}"
pkg="${WORK_DIR}/leaflet/package"
put "${pkg}/dist/leaflet.js"  "${STAGE}/leaflet/leaflet.js"
put "${pkg}/dist/leaflet.css" "${STAGE}/leaflet/leaflet.css"
put "${pkg}/LICENSE"          "${STAGE}/leaflet/LICENSE"
for img in marker-icon.png marker-icon-2x.png marker-shadow.png layers.png layers-2x.png; do
	put "${pkg}/dist/images/${img}" "${STAGE}/leaflet/images/${img}"
done

# ---- echarts -----------------------------------------------------------------
fetch echarts "${ECHARTS_VERSION}"
pkg="${WORK_DIR}/echarts/package"
put "${pkg}/dist/echarts.min.js" "${STAGE}/echarts/echarts.min.js"
put "${pkg}/LICENSE"             "${STAGE}/echarts/LICENSE"

# ---- VERSIONS.txt ------------------------------------------------------------
{
	echo "# Generated by scripts/vendor-assets.sh - do not edit by hand."
	echo "# Source: npm registry tarballs, verified against dist.integrity."
	printf '%-10s %-8s %s\n' "name" "version" "integrity"
	printf '%s' "${VERSIONS_BODY}"
} >"${STAGE}/VERSIONS.txt"
chmod 0644 "${STAGE}/VERSIONS.txt"

# ---- install: replace vendor/ only after everything succeeded ----------------
rm -rf "${VENDOR_DIR}"
mkdir -p "${VENDOR_DIR}"
cp -R "${STAGE}/." "${VENDOR_DIR}/"

echo "vendor-assets: wrote ${VENDOR_DIR#"${REPO_ROOT}"/}:" >&2
(cd "${VENDOR_DIR}" && find . -type f | LC_ALL=C sort | sed 's|^\./|  |') >&2
