#!/usr/bin/env bash
# Prepares the end-to-end tests; safe to run again and again.
#   1. Debian's Chromium (with its driver and translations), nginx and systemd's tools (the
#      service test verifies the user unit with systemd-analyze) if they are missing;
#   2. the npm tools from package-lock.json (Quill, Lexical, esbuild, web-ext);
#   3. the fixture pages' editors, bundled into build/;
#   4. web-ext lint of the extension, which must report no errors.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
# Debian ships Chromium's UI languages separately; the German-browser test needs them.
[[ -f /usr/lib/chromium/locales/de.pak ]] || missing+=(chromium-l10n)
# The central-server test runs the shipped nginx configuration with a throwaway certificate.
[[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v openssl >/dev/null || missing+=(openssl)
# The service test verifies the user unit with systemd-analyze.
command -v systemd-analyze >/dev/null || missing+=(systemd)
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cd "$here"
stamp="node_modules/.postguard-lock.sha256"
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

echo "setup: bundling the fixture editors"
npm run --silent build -- --log-level=warning

echo "setup: web-ext lint"
npx --no-install web-ext lint --source-dir "$repo/extension" --output text
