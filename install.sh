#!/bin/sh
# Installs the agent-relay binary for this machine, without sudo.
#
#   curl -fsSL https://github.com/agent-relay/agent-relay/releases/latest/download/install.sh | sh
#
# Environment:
#   AGENT_RELAY_VERSION       a version to install (1.2.3 or v1.2.3); the latest release otherwise
#   AGENT_RELAY_INSTALL_DIR   where the binary goes; ~/.local/bin otherwise
#   AGENT_RELAY_DOWNLOAD_URL  a folder URL holding the archives and SHA256SUMS (a mirror, a local build's dist/);
#                             the project's release page otherwise
#   AGENT_RELAY_REPOSITORY    owner/name of the GitHub repository whose releases to use
#
# It detects the OS and CPU (an x86_64 shell under Rosetta 2 gets the native arm64 build; musl systems such as
# Alpine get the musl build), downloads the archive and SHA256SUMS, refuses an archive whose checksum does not
# match, and installs agent-relay into the install directory.
set -eu

repository=${AGENT_RELAY_REPOSITORY:-agent-relay/agent-relay}
install_dir=${AGENT_RELAY_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}

say() { printf '%s\n' "$*"; }
fail() {
  printf 'agent-relay install: %s\n' "$*" >&2
  exit 1
}

detect_os() {
  case $(uname -s) in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      fail "on Windows, download agent-relay-windows-x64.zip from https://github.com/$repository/releases and put agent-relay.exe on your PATH" ;;
    *) fail "no agent-relay build for $(uname -s); build it from source (see the README)" ;;
  esac
}

detect_arch() {
  case $(uname -m) in
    x86_64 | amd64) arch=x64 ;;
    arm64 | aarch64) arch=arm64 ;;
    *) fail "no agent-relay build for the CPU $(uname -m) (x86_64 and arm64 are built)" ;;
  esac
  # A shell running under Rosetta 2 reports x86_64 on an Apple Silicon Mac; the native build is faster.
  if [ "$1" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
    arch=arm64
  fi
  echo "$arch"
}

is_musl() {
  if command -v ldd >/dev/null 2>&1 && ldd --version 2>&1 | grep -qi musl; then return 0; fi
  for loader in /lib/ld-musl-*.so.1; do
    [ -e "$loader" ] && return 0
  done
  return 1
}

# download URL FILE: curl or wget, failing on HTTP errors.
download() {
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --proto '=https,http' --connect-timeout 30 --output "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --output-document="$2" "$1"
  else
    fail "curl or wget is needed to download agent-relay"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    fail "sha256sum or shasum is needed to verify the download"
  fi
}

os=$(detect_os)
arch=$(detect_arch "$os")
platform="$os-$arch"
if [ "$os" = linux ] && is_musl; then platform="$platform-musl"; fi
archive="agent-relay-$platform.tar.gz"

version=${AGENT_RELAY_VERSION:-}
version=${version#v}
if [ -n "${AGENT_RELAY_DOWNLOAD_URL:-}" ]; then
  base_url=${AGENT_RELAY_DOWNLOAD_URL%/}
elif [ -n "$version" ]; then
  base_url="https://github.com/$repository/releases/download/v$version"
else
  base_url="https://github.com/$repository/releases/latest/download"
fi

temp_dir=$(mktemp -d 2>/dev/null || mktemp -d -t agent-relay)
trap 'rm -rf "$temp_dir"' EXIT INT TERM

say "downloading $base_url/$archive"
download "$base_url/$archive" "$temp_dir/$archive" || fail "could not download $base_url/$archive"
download "$base_url/SHA256SUMS" "$temp_dir/SHA256SUMS" || fail "could not download $base_url/SHA256SUMS"

expected=$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$temp_dir/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS lists no $archive; refusing to install an unverified binary"
actual=$(sha256_of "$temp_dir/$archive")
if [ "$actual" != "$expected" ]; then
  fail "checksum mismatch for $archive (expected $expected, got $actual); refusing to install it"
fi
say "verified  sha256 $actual"

tar -xzf "$temp_dir/$archive" -C "$temp_dir" agent-relay || fail "could not unpack $archive"
mkdir -p "$install_dir" || fail "could not create $install_dir (set AGENT_RELAY_INSTALL_DIR to a directory you can write)"
# Copied beside the target and renamed over it: a running agent-relay keeps its old file, and nothing is half-written.
cp "$temp_dir/agent-relay" "$install_dir/.agent-relay.new" || fail "could not write to $install_dir"
chmod 755 "$install_dir/.agent-relay.new"
mv -f "$install_dir/.agent-relay.new" "$install_dir/agent-relay"

installed_version=$("$install_dir/agent-relay" --version 2>/dev/null || true)
say "installed $install_dir/agent-relay${installed_version:+ ($installed_version)}"
if [ -n "$version" ]; then
  case $installed_version in
    *" $version "* | *" $version") ;;
    *) say "warning: asked for version $version, the binary reports: ${installed_version:-nothing}" >&2 ;;
  esac
fi

case ":${PATH:-}:" in
  *":$install_dir:"*) ;;
  *)
    say ""
    say "$install_dir is not on your PATH. Add it with:"
    case $(basename "${SHELL:-sh}") in
      fish) say "  fish_add_path $install_dir" ;;
      zsh) say "  echo 'export PATH=\"$install_dir:\$PATH\"' >> ~/.zshrc" ;;
      bash) say "  echo 'export PATH=\"$install_dir:\$PATH\"' >> ~/.bashrc" ;;
      *) say "  export PATH=\"$install_dir:\$PATH\"   (in your shell's startup file)" ;;
    esac
    ;;
esac

say ""
say "Next: run it as a login service and point your clients at it:"
say "  agent-relay service install"
