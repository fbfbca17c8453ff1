#!/usr/bin/env bash
# Browser check of report.html (issue 6). A filled run dir (written by the harness_report_tests binary) gets its
# report from `harness report`; headless Chromium (Debian's `chromium`, installed when missing) must load it with
# no console or network error, its DOM must hold the headline and the chart <svg>, and its screenshot, kept as
# build/artifacts/report-browser.png, must show the chart's line and the headline's fix colour.
# Prints SKIP with the reason (exit 77) when Chromium cannot be installed; any other problem is a FAIL (exit 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}
harness=${HARNESS_BIN:-$build/harness/harness}
tests_bin=${HARNESS_TESTS_BIN:-$build/tests/harness_report_tests}
artifacts=${HARNESS_ARTIFACTS_DIR:-$build/artifacts}
fail() { echo "FAIL report_browser: $*"; exit 1; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "report_browser: installing Debian's chromium"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo -n"
  if ! { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
           chromium; } >/tmp/report_browser_apt.log 2>&1; then
    echo "SKIP report_browser: chromium is not installed and apt-get could not install it:"
    tail -n 3 /tmp/report_browser_apt.log
    exit 77
  fi
  browser=$(command -v chromium || true)
  [[ -n "$browser" ]] || { echo "SKIP report_browser: apt-get installed chromium but no chromium command exists"; exit 77; }
fi
[[ -x "$harness" ]] || fail "no harness binary at $harness (build first)"
[[ -x "$tests_bin" ]] || fail "no test binary at $tests_bin (build first)"

work=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT
mkdir -p "$artifacts"

out=$(HARNESS_REPORT_FIXTURE_DIR="$work/run" "$tests_bin" --gtest_filter=ReportBrowserFixture.WritesAFilledRunDir 2>&1) ||
  fail "the fixture writer failed: $out"
grep -q '^\[  PASSED  \] 1 test' <<<"$out" || fail "the fixture writer did not run: $out"
"$harness" report "$work/run" >/dev/null || fail "harness report failed"
page="file://$work/run/report.html"

# Every host resolves to nothing: a report that needed an outside asset would log a failed load.
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --disable-sync --no-first-run --user-data-dir="$profile" --host-resolver-rules="MAP * ~NOTFOUND"
       --enable-logging=stderr --v=0 --window-size=1280,1400 --hide-scrollbars)
timeout 120 "$browser" "${flags[@]}" --dump-dom "$page" >"$work/dom.html" 2>"$work/dom.log" ||
  fail "chromium --dump-dom failed: $(tail -n 5 "$work/dom.log")"
if grep -E 'CONSOLE|Uncaught|Failed to load resource|ERR_NAME_NOT_RESOLVED|net::ERR' "$work/dom.log"; then
  fail "the page logged errors while loading"
fi
grep -q '<header id="headline" class="headline fix"><h1>Validated fix found</h1>' "$work/dom.html" ||
  fail "the headline is not in the DOM"
grep -q '<svg id="convergence-chart"' "$work/dom.html" || fail "the chart <svg> is not in the DOM"
points=$(grep -o '<circle ' "$work/dom.html" | wc -l)
[[ "$points" -eq 12 ]] || fail "the chart has $points points, expected one per generation (12)"

shot="$artifacts/report-browser.png"
rm -f "$shot"
timeout 120 "$browser" "${flags[@]}" --screenshot="$shot" "$page" >"$work/shot.log" 2>&1 ||
  fail "chromium --screenshot failed: $(tail -n 5 "$work/shot.log")"
[[ -s "$shot" ]] || fail "no screenshot written"
# The chart's observation line (#2563eb) must be on the picture, and the headline's fix border (#16a34a) at its top.
python3 - "$shot" <<'PY' || fail "the screenshot does not show the chart and the headline"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and color in (2, 6) and interlace == 0, f"unexpected PNG format {depth}/{color}/{interlace}"
        bpp = 3 if color == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw, stride, prev, counts = zlib.decompress(idat), width * bpp, bytearray(width * bpp), {}
want = {(0x25, 0x63, 0xEB): "chart line", (0x16, 0xA3, 0x4A): "headline fix border"}
for y in range(height):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        key = tuple(line[x:x + 3])
        if key in want and (want[key] == "chart line" or y < 300): counts[key] = counts.get(key, 0) + 1
    prev = line
missing = [name for key, name in want.items() if counts.get(key, 0) < 50]
print("screenshot pixels:", {want[k]: v for k, v in counts.items()})
sys.exit(f"missing on the screenshot: {missing}" if missing else 0)
PY
echo "PASS report_browser: headline and chart in the DOM and on the screenshot ($shot)"
