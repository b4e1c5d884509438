#!/usr/bin/env bash
# Makes a cluster CA and one certificate per NAME (EC P-256, signed by the
# CA) in DIR, for nu's TLS flags; keys are readable by their owner only.
set -euo pipefail

usage() {
  echo "usage: $0 DIR NAME..." >&2
  echo "  writes DIR/ca.pem (and DIR/ca.key), DIR/NAME.pem and DIR/NAME.key" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
dir=$1
shift
umask 077
mkdir -p "$dir"
days=825

if [[ ! -f "$dir/ca.pem" ]]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days "$days" \
    -subj "/CN=nu cluster CA $(openssl rand -hex 6)" 2>/dev/null
fi

for name in "$@"; do
  [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || {
    echo "$0: '$name' is not a plain name" >&2
    exit 2
  }
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name" \
    2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" \
    -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/$name.pem" \
    -days "$days" 2>/dev/null
  rm -f "$dir/$name.csr"
done
chmod 644 "$dir"/*.pem
echo "make-certs: CA and ${#} certificate(s) in $dir"
