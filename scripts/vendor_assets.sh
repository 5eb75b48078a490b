#!/usr/bin/env sh
# Copy the built files of the dashboard's front-end libraries from node_modules/ to static/vendor/
# (committed, so the server needs no npm and no internet). Run after changing versions in package.json:
#   npm ci && npm run vendor
set -eu
cd "$(dirname "$0")/.."
dest=static/vendor
rm -rf "$dest"
mkdir -p "$dest/bootstrap" "$dest/lightweight-charts"
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map "$dest/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map "$dest/bootstrap/"
cp node_modules/bootstrap/LICENSE "$dest/bootstrap/LICENSE"
cp node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js "$dest/lightweight-charts/"
cp node_modules/lightweight-charts/LICENSE "$dest/lightweight-charts/LICENSE"
for lib in bootstrap lightweight-charts; do
  node -p "require('./node_modules/$lib/package.json').version" > "$dest/$lib/VERSION"
done
echo "static/vendor updated:"; find "$dest" -type f | sort
