#!/usr/bin/env bash
# Builds what a release ships, into dist/out/:
#   cpcall-VERSION-x86_64-linux        the binary, for glibc 2.17 and later (CentOS 7, every
#                                      cPanel server still running); checked by its symbol versions
#   cpcall_VERSION-1_amd64.deb         for Debian and Ubuntu (cargo-deb)
#   cpcall-VERSION-1.x86_64.rpm        for AlmaLinux, Rocky, CloudLinux, CentOS (cargo-generate-rpm)
# Both packages hold that binary, every man page and the bash, zsh and fish completions.
# Needs only cargo and python3: the tools are installed when missing (zig from PyPI's ziglang).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-unknown-linux-gnu
GLIBC=2.17
OUT=dist/out
VERSION=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "cpcall"))')

tool() { command -v "$1" >/dev/null || cargo install --locked --quiet "$1" --version "$2"; }
python3 -m ziglang version >/dev/null 2>&1 || python3 -m pip install --quiet "ziglang==0.17.1"
tool cargo-zigbuild 0.24.1
tool cargo-deb 3.8.0
tool cargo-generate-rpm 0.21.1

# zig links against glibc 2.17's symbols, so the binary runs wherever glibc is 2.17 or newer.
cargo zigbuild --release --locked --bin cpcall --target "$TARGET.$GLIBC"
BIN=target/$TARGET/release/cpcall

# The check: no symbol may need a glibc newer than 2.17.
newest=$(objdump -T "$BIN" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
if [ "$(printf '%s\n%s\n' "$newest" "$GLIBC" | sort -V | tail -n1)" != "$GLIBC" ]; then
  echo "dist/build.sh: $BIN needs glibc $newest, newer than $GLIBC" >&2
  exit 1
fi
echo "dist/build.sh: $BIN needs glibc $newest at most (limit $GLIBC)"

mkdir -p "$OUT"
cp "$BIN" "$OUT/cpcall-$VERSION-x86_64-linux"
# The packages take the binary where --target puts it (target/$TARGET/release).
cargo deb --no-build --target "$TARGET" --output "$OUT/"
# gzip: the rpm of CentOS/CloudLinux 7 (4.11) cannot read zstd payloads.
cargo generate-rpm --target "$TARGET" --payload-compress gzip --output "$OUT/"
ls -l "$OUT"
