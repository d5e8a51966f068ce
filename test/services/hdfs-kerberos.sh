#!/usr/bin/env bash
# Kerberos-secured HDFS on 127.0.0.1 for packages/artifact-hdfs/test/kerberos.test.ts (SPNEGO through
# the optional peer `kerberos`, a native addon: pnpm does not build it — installing the workspace
# must never need Kerberos headers — so `start` builds it once per checkout against Debian's MIT
# Kerberos (libkrb5-dev, installed if missing). One JVM of our own main (written below,
# compiled once): Hadoop's MiniKdc (Apache Kerby, realm EXAMPLE.COM, KDC on port+9) and a Hadoop 3.4.2
# MiniDFSCluster (1 namenode + 1 datanode) with hadoop.security.authentication=kerberos; the
# namenode's WebHDFS (port+1) takes SPNEGO only (401 Negotiate without a ticket; its hadoop.auth
# cookie expires after 5 s) and redirects data to the datanode with a delegation token. Jars from Maven Central, cached outside the checkout.
# Idempotent: `start` starts the JVM unless it runs (fresh KDC, keytabs and namespace every start)
# and waits until WebHDFS asks for Negotiate; `stop` stops it and drops its state.
# Files in `dir`: krb5.conf (for MIT clients: KRB5_CONFIG), user.ccache (a TGT of
# mlstore@EXAMPLE.COM, renewed every hour: KRB5CCNAME / MLFLOW_KERBEROS_TICKET_CACHE), user.keytab
# (for `kinit -kt user.keytab mlstore`), service.keytab (hdfs/localhost, HTTP/localhost, HTTP/127.0.0.1).
# Ports: MLSTORE_HDFS_KERBEROS_PORT (namenode RPC; +1 WebHDFS, +2..+4 datanode, +9 KDC), else this
# checkout's slot (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
version="${MLSTORE_HADOOP_VERSION:-3.4.2}"
cache="${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/hdfs"
dir="$state/hdfs-kerberos"
port=$(service_port MLSTORE_HDFS_KERBEROS_PORT)   # namenode RPC; +1 WebHDFS (SPNEGO), +2..+4 datanode, +9 KDC
kdc_port=$((port + 9))
user=mlstore
host=127.0.0.1
tool="$cache/kerberos-$version"
m2="$cache/m2"

install() {
  write_main
  [ -f "$tool/classpath" ] && [ -f "$(classes)/MlstoreKerberosHdfs.class" ] && return
  command -v mvn >/dev/null && command -v javac >/dev/null || {
    echo "hdfs-kerberos.sh needs Java 17 (javac) and Maven" >&2; exit 1; }
  if [ ! -f "$tool/classpath" ]; then
    cat >"$tool/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>mlstore.test</groupId><artifactId>hdfs-kerberos</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-minicluster</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-api</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-runtime</artifactId><version>$version</version></dependency>
    <!-- the KDC: Apache Kerby behind Hadoop's test helper (not shaded into the minicluster jar) -->
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-minikdc</artifactId><version>$version</version></dependency>
    <!-- Java 11+ has no JAXB; the shaded Jersey 1 behind WebHDFS needs it (else every call is a 500) -->
    <dependency><groupId>javax.xml.bind</groupId><artifactId>jaxb-api</artifactId><version>2.3.1</version></dependency>
    <dependency><groupId>org.glassfish.jaxb</groupId><artifactId>jaxb-runtime</artifactId><version>2.3.9</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
EOF
    # The class path points into the shared Maven repository (no copies of the 100 MB of jars).
    (cd "$tool" && mvn -q -B -Dmaven.repo.local="$m2" dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile=classpath.tmp >mvn.log 2>&1 && mv classpath.tmp classpath) || {
      echo "maven could not fetch the jars; see $tool/mvn.log" >&2; tail -n 30 "$tool/mvn.log" >&2; exit 1; }
  fi
  local out; out=$(classes)
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  javac -nowarn -cp "$(cat "$tool/classpath")" -d "$out.tmp" "$tool/src/MlstoreKerberosHdfs.java"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# Our main: written on every start (cheap), compiled into classes-<checksum of the source>.
write_main() {
  mkdir -p "$tool/src"
  cat >"$tool/src/MlstoreKerberosHdfs.java" <<'EOF'
import java.io.File;
import java.nio.file.*;
import java.util.Properties;
import java.util.concurrent.*;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.kerby.kerberos.kerb.client.KrbClient;

/**
 * A MiniKdc and a Kerberos-secured MiniDFSCluster (1 namenode + 1 datanode) whose WebHDFS takes
 * SPNEGO only. Args: BASE PORT KDC_PORT USER. Writes into BASE: krb5.conf, service.keytab,
 * user.keytab, user.ccache (a TGT of USER, renewed hourly), then ready. Exits 1 if startup fails.
 */
public class MlstoreKerberosHdfs {
  public static void main(String[] a) {
    try {
      run(a);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] a) throws Exception {
    Path base = Paths.get(a[0]);
    int p = Integer.parseInt(a[1]);
    int kdcPort = Integer.parseInt(a[2]);
    String user = a[3];
    Path ready = base.resolve("ready");
    Files.deleteIfExists(ready);
    long t0 = System.currentTimeMillis();

    Properties kc = MiniKdc.createConf();
    kc.setProperty(MiniKdc.KDC_BIND_ADDRESS, "127.0.0.1");
    kc.setProperty(MiniKdc.KDC_PORT, String.valueOf(kdcPort));
    File kdcDir = base.resolve("kdc").toFile();
    kdcDir.mkdirs();
    MiniKdc kdc = new MiniKdc(kc, kdcDir);   // TCP; writes its own krb5.conf for this JVM
    kdc.start();
    String realm = kdc.getRealm();
    File svcKeytab = base.resolve("service.keytab").toFile();
    File userKeytab = base.resolve("user.keytab").toFile();
    kdc.createPrincipal(svcKeytab, "hdfs/localhost", "HTTP/localhost", "HTTP/127.0.0.1");
    kdc.createPrincipal(userKeytab, user);
    // For MIT clients (kinit, the GSSAPI behind the kerberos npm module): HTTP@127.0.0.1 stays
    // HTTP/127.0.0.1 (no DNS canonicalisation), TCP only.
    Files.writeString(base.resolve("krb5.conf"),
        "[libdefaults]\n  default_realm = " + realm + "\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n"
        + "  dns_canonicalize_hostname = false\n  rdns = false\n  udp_preference_limit = 1\n"
        + "[realms]\n  " + realm + " = {\n    kdc = 127.0.0.1:" + kdcPort + "\n  }\n"
        + "[domain_realm]\n  localhost = " + realm + "\n  127.0.0.1 = " + realm + "\n");
    // A ticket cache for the user (no kinit needed), renewed every hour (tickets last a day).
    KrbClient krb = new KrbClient(kdc.getKrb5conf().getParentFile());
    krb.setKdcHost("127.0.0.1");
    krb.setKdcTcpPort(kdcPort);
    krb.setAllowUdp(false);
    krb.init();
    Runnable ccache = () -> {
      try {
        Path tmp = base.resolve("user.ccache.tmp");
        Files.deleteIfExists(tmp);
        krb.storeTicket(krb.requestTgt(user + "@" + realm, userKeytab), tmp.toFile());
        Files.move(tmp, base.resolve("user.ccache"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (Exception e) {
        e.printStackTrace();
      }
    };
    ccache.run();
    ScheduledExecutorService renew = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ccache-renewal");
      t.setDaemon(true);
      return t;
    });
    renew.scheduleAtFixedRate(ccache, 1, 1, TimeUnit.HOURS);

    String hdfs = "hdfs/localhost@" + realm;
    Configuration c = new Configuration();
    c.set("hadoop.security.authentication", "kerberos");
    c.set("dfs.namenode.kerberos.principal", hdfs);
    c.set("dfs.namenode.keytab.file", svcKeytab.getPath());
    c.set("dfs.datanode.kerberos.principal", hdfs);
    c.set("dfs.datanode.keytab.file", svcKeytab.getPath());
    c.set("dfs.web.authentication.kerberos.principal", "*");   // every HTTP/* of the keytab
    c.set("dfs.web.authentication.kerberos.keytab", svcKeytab.getPath());
    // Hadoop 3.3+: the namenode's HTTP filter (AuthFilterInitializer) takes its type from
    // hadoop.http.authentication.*; without these WebHDFS lets anonymous requests through to a 403.
    c.set("hadoop.http.authentication.type", "kerberos");
    c.setBoolean("hadoop.http.authentication.simple.anonymous.allowed", false);
    c.set("hadoop.http.authentication.kerberos.principal", "*");
    c.set("hadoop.http.authentication.kerberos.keytab", svcKeytab.getPath());
    // The hadoop.auth cookie lasts 5 s (default 10 h), so clients' renegotiation runs in tests.
    c.set("hadoop.http.authentication.token.validity", "5");
    c.setBoolean("dfs.block.access.token.enable", true);           // required by a secure datanode
    c.setBoolean("ignore.secure.ports.for.testing", true);         // no privileged ports, no SASL, no TLS
    c.setBoolean("dfs.webhdfs.enabled", true);
    c.setBoolean("dfs.permissions.enabled", false);
    c.setInt("dfs.replication", 1);
    c.set("dfs.datanode.address", "127.0.0.1:" + (p + 2));
    c.set("dfs.datanode.http.address", "127.0.0.1:" + (p + 3));
    c.set("dfs.datanode.ipc.address", "127.0.0.1:" + (p + 4));
    c.set("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20");
    UserGroupInformation.setConfiguration(c);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(c, base.resolve("cluster").toFile())
        .nameNodePort(p).nameNodeHttpPort(p + 1).numDataNodes(1)
        .checkDataNodeAddrConfig(true).format(true).build();
    cluster.waitActive();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      cluster.shutdown();
      kdc.stop();
    }));
    Files.writeString(ready, "startup_ms=" + (System.currentTimeMillis() - t0) + "\nprincipal=" + user + "@" + realm + "\n");
    Thread.currentThread().join();
  }
}
EOF
}
classes() { echo "$tool/classes-$(cksum <"$tool/src/MlstoreKerberosHdfs.java" | cut -d' ' -f1)"; }

# The pid file must name a live JVM running our main class (guards against a stale or reused pid).
alive() { [ -f "$dir/pid" ] && grep -qa -- MlstoreKerberosHdfs "/proc/$(cat "$dir/pid")/cmdline" 2>/dev/null; }
# Ready = our main said so and WebHDFS asks for Negotiate.
negotiates() {
  local h; h=$(curl -s -o /dev/null -D - --max-time 2 "$(url)/webhdfs/v1/?op=GETFILESTATUS" 2>/dev/null) || return 1
  grep -qi '^WWW-Authenticate: Negotiate' <<<"$h"
}
ready() { [ -f "$dir/ready" ] && [ -s "$dir/user.ccache" ] && negotiates; }

launch() {
  rm -rf "$dir" && mkdir -p "$dir"   # fresh KDC, keytabs and namespace every start
  local opens=""
  for p in java.base/java.lang java.base/java.util java.base/java.net java.base/java.lang.reflect java.base/java.io \
      java.security.jgss/sun.security.krb5; do opens="$opens --add-opens=$p=ALL-UNNAMED"; done
  # shellcheck disable=SC2086
  setsid nohup java -Xmx384m -XX:+UseSerialGC $opens -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$(classes):$(cat "$tool/classpath")" MlstoreKerberosHdfs "$dir" "$port" "$kdc_port" "$user" \
    >"$dir.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do alive && break; sleep 0.05; done
}

# The `kerberos` addon as packages/artifact-hdfs loads it: built in place (N-API, so Node 20 and 24
# share it) with npm's node-gyp and the local Node headers, once; a no-op when it already loads.
addon() {
  local pkg="$root/packages/artifact-hdfs/package.json" mod gyp
  loads() { node -e 'require("module").createRequire(process.argv[1])("kerberos")' "$pkg" 2>/dev/null; }
  loads && return
  mod=$(node -p 'require("path").dirname(require("module").createRequire(process.argv[1]).resolve("kerberos/package.json"))' "$pkg") || {
    echo "hdfs-kerberos.sh: the kerberos package is not installed next to artifact-hdfs (run pnpm install)" >&2; exit 1; }
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "hdfs-kerberos.sh: building the kerberos addon needs libkrb5-dev (apt-get install libkrb5-dev)" >&2; exit 1; }
    apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends libkrb5-dev >/dev/null
  fi
  gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  mkdir -p "$tool"
  (cd "$mod" && node "$gyp" rebuild --nodedir=/usr) >"$tool/addon-build.log" 2>&1 && loads || {
    echo "hdfs-kerberos.sh: could not build the kerberos addon in $mod; see $tool/addon-build.log" >&2
    tail -n 20 "$tool/addon-build.log" >&2; exit 1; }
}

start() {
  local t0=$SECONDS
  install
  addon
  if ! alive; then
    local p
    for p in "$port" $((port + 1)) $((port + 2)) $((port + 3)) $((port + 4)) "$kdc_port"; do
      if port_listening "$p"; then echo "port $p already serves something that is not our Kerberos MiniDFSCluster; set MLSTORE_HDFS_KERBEROS_PORT" >&2; exit 1; fi
    done
    # A datanode that fails to bind (a port held for a moment) dies half-way: start afresh up to three times.
    local try
    for try in 1 2 3; do
      launch
      for _ in $(seq 1 900); do ready && break; alive || break; sleep 0.2; done
      ready && break
      [ "$try" -lt 3 ] && { echo "attempt $try failed, retrying: $(grep -m1 -E '^[A-Za-z0-9_.$]+(Exception|Error)' "$dir.log" || true)" >&2; stop_jvm; sleep 2; }
    done
  fi
  for _ in $(seq 1 900); do ready && break; alive || break; sleep 0.2; done
  ready || {
    echo "the Kerberos MiniDFSCluster did not become ready; see $dir.log" >&2; tail -n 30 "$dir.log" >&2 || true
    stop_jvm; exit 1; }
  echo "hdfs-kerberos ready in $((SECONDS - t0)) s: webhdfs $(url) (SPNEGO, pid $(cat "$dir/pid")), KDC $host:$kdc_port," \
    "principal $user@EXAMPLE.COM; KRB5_CONFIG=$dir/krb5.conf KRB5CCNAME=FILE:$dir/user.ccache"
}

# Gone = no such process, or a zombie with no thread left. Not `! alive`: an exiting JVM drops its
# command line (and its main thread turns zombie) before its other threads close the sockets, and a
# `start` right after would find our own ports still open.
gone() {
  ! [ -e "/proc/$1" ] || { grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null &&
    grep -q '^Threads:[[:space:]]*1$' "/proc/$1/status" 2>/dev/null; }
}
stop_jvm() {
  if alive; then
    local pid; pid=$(cat "$dir/pid")
    kill "$pid"
    for _ in $(seq 1 100); do gone "$pid" && break; sleep 0.1; done
    gone "$pid" || kill -9 "$pid"
    for _ in $(seq 1 50); do gone "$pid" && break; sleep 0.1; done
    for _ in $(seq 1 50); do port_listening $((port + 1)) || port_listening "$kdc_port" || break; sleep 0.1; done
  fi
  rm -f "$dir/pid"
}

stop() { stop_jvm; rm -rf "$dir" "$dir.log"; }

url() { echo "http://$host:$((port + 1))"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) alive && ready && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|dir" >&2; exit 2 ;;
esac
