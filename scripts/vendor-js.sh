#!/usr/bin/env bash
# Re-fetch the JavaScript the app serves offline (bertviz's libraries; plotly.js basic for the bar
# charts, the version the pinned Python plotly bundles), from the npm registry at pinned versions,
# with the licences, and rewrite static/vendor/MANIFEST.json (checked by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent requirejs@2.3.6 d3@5.7.0 jquery@2.2.4 plotly.js-basic-dist-min@4.1.1 >/dev/null)
for pkg in requirejs-2.3.6 d3-5.7.0 jquery-2.2.4 plotly.js-basic-dist-min-4.1.1; do mkdir -p "$work/$pkg" && tar xzf "$work/$pkg.tgz" -C "$work/$pkg"; done
out=static/vendor
cp "$work/requirejs-2.3.6/package/require.js" "$out/require.js"   # MIT; the licence is in the file's header
cp "$work/d3-5.7.0/package/dist/d3.min.js" "$out/d3.min.js"
cp "$work/d3-5.7.0/package/LICENSE" "$out/d3.LICENSE"
cp "$work/jquery-2.2.4/package/dist/jquery.min.js" "$out/jquery.min.js"
cp "$work/jquery-2.2.4/package/LICENSE.txt" "$out/jquery.LICENSE.txt"
cp "$work/plotly.js-basic-dist-min-4.1.1/package/plotly-basic.min.js" "$out/plotly-basic.min.js"
cp "$work/plotly.js-basic-dist-min-4.1.1/package/LICENSE" "$out/plotly-basic.LICENSE"
python3 - "$out" <<'PY'
import hashlib, json, sys
from pathlib import Path
out = Path(sys.argv[1])
files = {"require.js": "requirejs@2.3.6", "d3.min.js": "d3@5.7.0", "jquery.min.js": "jquery@2.2.4",
         "plotly-basic.min.js": "plotly.js-basic-dist-min@4.1.1"}
manifest = {name: {"package": pkg, "license": "BSD-3-Clause" if pkg.startswith("d3") else "MIT",
                   "sha256": hashlib.sha256((out / name).read_bytes()).hexdigest()} for name, pkg in files.items()}
(out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
PY
echo "vendored into $out"
