#!/usr/bin/env bash
# OpenSSH sshd (Debian openssh-server, internal-sftp) on 127.0.0.1, for @mlstore/artifact-sftp,
# test/sftp-interop.test.ts and test/sftp-server-e2e.test.ts. Idempotent: `start` installs the
# Debian packages once (needs root), makes a dedicated test user with a key and a password, its own
# host key, known_hosts and ssh config in the state dir, starts sshd if it is not running and waits
# for its banner; `stop` stops it and empties the served root; `status`, `url` (an sftp:// URI of
# the served root, no secret), `dir` (the state dir), `env` (shell assignments for tests).
#
# Why root + a real user rather than the reference recipe's unprivileged sshd run as `nobody`: the
# issue needs a *password* login, and only a privileged sshd can check a password (PAM reads
# /etc/shadow). So sshd runs as root from its own sshd_config on an unprivileged port, with its own
# privilege-separation dir, and only the dedicated user may log in, to sftp only (ForceCommand
# internal-sftp, no shell, no forwarding). The state dir is world-traversable so that user can
# write the served root.
#
# State dir files: host_ed25519 (server key), client_ed25519 (+ .pub; passphrase-less client key),
# client_ed25519_pp (the same kind of key, passphrase in `passphrase`), password, known_hosts (one
# `[127.0.0.1]:PORT` line, as OpenSSH writes it off port 22), ssh_config (`Host mlstore-sftp-test`
# naming HostName/Port/User/IdentityFile), home/.ssh/{known_hosts,config} (a HOME for pysftp,
# whose known_hosts lookup ignores the port, so it also has a bare `127.0.0.1` line), files/ (the
# served root, owned by the test user).
# Port: MLSTORE_SFTP_PORT, else this checkout's slot (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
dir="$state/sftp"
port=$(service_port MLSTORE_SFTP_PORT)
host=127.0.0.1
user="${MLSTORE_SFTP_USER:-mlstore-sftp}"
sshd=/usr/sbin/sshd

# The pid file must name a live sshd started from our config (guards against stale/reused pids).
alive() { [ -f "$dir/sshd.pid" ] && grep -qa -- "$dir/sshd_config" "/proc/$(cat "$dir/sshd.pid")/cmdline" 2>/dev/null; }
banner() { timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port; head -c 4 <&3" 2>/dev/null | grep -q SSH-; }

install() {
  [ -x "$sshd" ] && [ -x /usr/lib/openssh/sftp-server ] && return
  [ "$(id -u)" = 0 ] || { echo "sftp.sh: openssh-server is missing and installing it needs root (apt-get install openssh-server openssh-sftp-server)" >&2; exit 1; }
  # CI images carry a policy-rc.d that keeps the package from starting a system-wide sshd.
  apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
    openssh-server openssh-sftp-server >/dev/null
}

setup() {
  [ "$(id -u)" = 0 ] || { echo "sftp.sh: must run as root (a password login needs a privileged sshd)" >&2; exit 1; }
  mkdir -p "$dir/files" "$dir/home/.ssh"
  chmod 755 "$dir" "$(dirname "$dir")"
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir "$dir/files" --shell /usr/sbin/nologin "$user"
  # The OS user is one per machine, so its password is too: every checkout's copy is the machine's
  # (one checkout resetting it to its own would lock the others' password tests out).
  local machine_pw="/var/tmp/mlstore-services/$user.password"
  mkdir -p "$(dirname "$machine_pw")"
  [ -s "$machine_pw" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$machine_pw")
  cp "$machine_pw" "$dir/password"
  printf '%s:%s\n' "$user" "$(cat "$dir/password")" | chpasswd
  usermod --home "$dir/files" "$user" >/dev/null 2>&1 || true
  chown "$user": "$dir/files"
  [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C mlstore-sftp-host -f "$dir/host_ed25519"
  [ -f "$dir/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C mlstore-sftp-client -f "$dir/client_ed25519"
  [ -f "$dir/passphrase" ] || { head -c 12 /dev/urandom | base64 | tr '+/' '-_' >"$dir/passphrase"; rm -f "$dir/client_ed25519_pp"; }
  [ -f "$dir/client_ed25519_pp" ] || ssh-keygen -q -t ed25519 -N "$(cat "$dir/passphrase")" -C mlstore-sftp-client-pp -f "$dir/client_ed25519_pp"
  cat "$dir/client_ed25519.pub" "$dir/client_ed25519_pp.pub" >"$dir/authorized_keys"
  chmod 644 "$dir/authorized_keys" "$dir/password" "$dir/passphrase" "$dir/client_ed25519" "$dir/client_ed25519_pp"
  chmod 600 "$dir/host_ed25519"
  local hostkey; hostkey=$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")
  echo "[$host]:$port $hostkey" >"$dir/known_hosts"
  cat >"$dir/ssh_config" <<CFG
Host mlstore-sftp-test
  HostName $host
  Port $port
  User $user
  IdentityFile $dir/client_ed25519
CFG
  { echo "[$host]:$port $hostkey"; echo "$host $hostkey"; } >"$dir/home/.ssh/known_hosts"
  cp "$dir/ssh_config" "$dir/home/.ssh/config"
  cat >"$dir/sshd_config" <<CFG
Port $port
ListenAddress $host
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM yes
AllowUsers $user
Subsystem sftp internal-sftp
ForceCommand internal-sftp
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
MaxStartups 64:30:128
MaxSessions 64
LogLevel INFO
CFG
}

start() {
  install
  setup
  if ! alive; then
    if port_listening "$port"; then echo "port $port already serves something that is not our sshd; set MLSTORE_SFTP_PORT" >&2; exit 1; fi
    # A root sshd needs its privilege-separation dir (Debian's unit creates it; we have no unit).
    mkdir -p /run/sshd && chmod 755 /run/sshd
    "$sshd" -t -f "$dir/sshd_config"
    rm -f "$dir/sshd.pid"
    # sshd daemonizes and writes the PidFile itself; -E keeps its log in the state dir.
    setsid "$sshd" -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null
  fi
  # Up to a minute: CI starts it beside the unit tests on two busy cores.
  for _ in $(seq 1 600); do alive && banner && break; sleep 0.1; done
  alive && banner || { echo "sshd did not become ready; see $dir/sshd.log" >&2; tail -n 20 "$dir/sshd.log" >&2 || true; exit 1; }
  echo "sshd ready: $(url) (pid $(cat "$dir/sshd.pid"))"
}

stop() {
  if alive; then
    kill "$(cat "$dir/sshd.pid")"
    for _ in $(seq 1 50); do alive || break; sleep 0.1; done
  fi
  rm -f "$dir/sshd.pid"
  [ -d "$dir/files" ] && find "$dir/files" -mindepth 1 -delete
  return 0
}

url() { echo "sftp://$user@$host:$port$dir/files"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) alive && banner && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  dir) echo "$dir" ;;
  env)
    echo "MLSTORE_SFTP_HOST=$host MLSTORE_SFTP_PORT=$port MLSTORE_SFTP_USER=$user MLSTORE_SFTP_ROOT=$dir/files"
    echo "MLSTORE_SFTP_KEY=$dir/client_ed25519 MLSTORE_SFTP_KNOWN_HOSTS=$dir/known_hosts MLSTORE_SFTP_SSH_CONFIG=$dir/ssh_config" ;;
  *) echo "usage: $0 start|stop|status|url|dir|env" >&2; exit 2 ;;
esac
