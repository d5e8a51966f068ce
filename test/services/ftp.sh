#!/usr/bin/env bash
# FTP + explicit FTPS server (pyftpdlib from PyPI) on 127.0.0.1, for @mlstore/artifact-ftp and
# test/ftp-*.test.ts. Idempotent: `start` installs the pinned version into a venv cached outside the
# checkout once (6–25 s), makes a self-signed certificate once into the state dir, starts the
# server (test/services/ftp_server.py) if it is not running and waits for its 220 greeting; `stop`
# stops it (the served files stay in `dir`/files; tests write under random prefixes).
# One user with a password AND anonymous, both with write access, on one root; AUTH TLS offered but
# not required, so ftp:// and ftps:// (explicit TLS) share the port.
#   url       → ftp://<user>:<password>@127.0.0.1:<port>   (anonymous: ftp://127.0.0.1:<port>)
#   cert      → the PEM certificate ftps:// clients must trust (CN localhost, SAN localhost + 127.0.0.1)
#   dir       → the state dir (files/ is the served root)
# Ports: MLSTORE_FTP_PORT and MLSTORE_FTP_PASSIVE (first-last), else this checkout's slots
# (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
version="${MLSTORE_PYFTPDLIB_VERSION:-2.2.0}"
# The venv is shared by every checkout on the machine; the server state is per checkout.
venv="${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/pyftpdlib-venv"
dir="$state/ftp"
port=$(service_port MLSTORE_FTP_PORT)
# Passive data ports: one per transfer in flight (a repository pools up to 8 connections); when
# all are busy pyftpdlib takes a kernel-assigned port instead, so transfers never fail for want of one.
passive=$(service_port MLSTORE_FTP_PASSIVE)
user="${MLSTORE_FTP_USER:-mlstore}"
password="${MLSTORE_FTP_PASSWORD:-mlstore-secret}"
host=127.0.0.1

# A venv counts as installed only once its marker exists: an interrupted install is redone.
installed() { [ -f "$venv/.mlstore-pyftpdlib-$version" ] && [ -x "$venv/bin/python" ]; }

install() {
  installed && return
  mkdir -p "$(dirname "$venv")"
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "pyftpdlib[ssl]==$version" || {
    echo "pip install pyftpdlib[ssl]==$version into $venv failed" >&2; exit 1; }
  "$venv/bin/python" -c 'import pyftpdlib, OpenSSL; print(pyftpdlib.__ver__)' | grep -qx "$version" || {
    echo "pyftpdlib $version is not usable in $venv" >&2; exit 1; }
  touch "$venv/.mlstore-pyftpdlib-$version"
}

# A self-signed certificate (CN localhost, SAN localhost + 127.0.0.1), made once with the venv's
# `cryptography` (installed with pyftpdlib[ssl]), so the openssl CLI is not needed.
cert() {
  [ -f "$dir/cert.pem" ] && [ -f "$dir/key.pem" ] && return
  "$venv/bin/python" - "$dir" <<'PY'
import datetime, ipaddress, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
d = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
with open(os.path.join(d, "key.tmp"), "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
with open(os.path.join(d, "cert.tmp"), "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
PY
  mv "$dir/key.tmp" "$dir/key.pem" && mv "$dir/cert.tmp" "$dir/cert.pem"
}

# The pid file must name a live ftp_server.py (guards against a stale or reused pid).
alive() { [ -f "$dir/pid" ] && grep -qa -- ftp_server.py "/proc/$(cat "$dir/pid")/cmdline" 2>/dev/null; }
# Any FTP server greets with 220; `alive` tells whether it is ours.
ready() { timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port; head -c 3 <&3" 2>/dev/null | grep -q 220; }

start() {
  install
  mkdir -p "$dir/files"
  cert
  # A port in Linux's ephemeral range (32768–60999; only an override puts it there) may be held for
  # a moment by a client connection elsewhere (bind → EADDRINUSE), so a launch that dies on that is retried.
  for attempt in 1 2 3 4 5; do
    if ! alive; then
      if port_listening "$port"; then echo "port $port already serves something that is not our FTP server; set MLSTORE_FTP_PORT" >&2; exit 1; fi
      setsid nohup "$venv/bin/python" "$root/test/services/ftp_server.py" "$dir/files" "$port" "$passive" \
        "$user" "$password" "$dir/cert.pem" "$dir/key.pem" >"$dir/server.log" 2>&1 </dev/null &
      echo $! >"$dir/pid"
    fi
    # Up to a minute while the process lives: CI starts it beside the unit tests on two busy cores,
    # where Python's imports alone have taken over ten seconds.
    for _ in $(seq 1 600); do ready && break; alive || break; sleep 0.1; done
    ready && break
    grep -q 'Address already in use' "$dir/server.log" 2>/dev/null || break
    sleep "$attempt"
  done
  ready || { echo "ftp server did not become ready; see $dir/server.log" >&2; tail -n 20 "$dir/server.log" >&2 || true; exit 1; }
  echo "ftp ready: ftp://$user:***@$host:$port (anonymous too; ftps:// = explicit TLS, cert $dir/cert.pem; passive $passive; pid $(cat "$dir/pid"))"
}

stop() {
  if alive; then
    kill "$(cat "$dir/pid")"
    for _ in $(seq 1 50); do alive || break; sleep 0.1; done
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) alive && ready && echo running || { echo stopped; exit 1; } ;;
  url) echo "ftp://$user:$password@$host:$port" ;;
  cert) echo "$dir/cert.pem" ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|cert|dir" >&2; exit 2 ;;
esac
