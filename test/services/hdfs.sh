#!/usr/bin/env bash
# HDFS on 127.0.0.1 for @mlstore/artifact-hdfs and test/hdfs-*.test.ts: a Hadoop 3.4.2
# MiniDFSCluster (1 namenode + 1 datanode in one JVM, WebHDFS on, permissions off) plus an HttpFS
# gateway in front of it. Both come from Maven Central (hadoop-client-minicluster, hadoop-hdfs-httpfs)
# with a small Java main of our own (written below, compiled once). Idempotent: `start` downloads the
# jars into a cache outside the checkout once (~1 minute), starts whichever JVM is not running (fresh,
# formatted namespace for the cluster) and waits until both answer; `stop` stops both and drops the
# cluster data. `url` prints the namenode's WebHDFS address, `httpfs-url` the gateway's,
# `rpc-url` the hdfs:// address, `classpath` a Java class path with Hadoop's own client (FsShell)
# and a core-site.xml pointing at the cluster.
# Clients: simple auth, any `user.name`. The namenode lists at most MLSTORE_HDFS_LS_LIMIT (7)
# entries per page (dfs.ls.limit), so every LISTSTATUS_BATCH listing of more than 7 entries pages.
# Writers poll for a closed file's last block every 20 ms instead of 400 ms
# (dfs.client.block.write.locateFollowingBlock.initial.delay.ms), which makes small writes several times faster.
# Ports: MLSTORE_HDFS_PORT (namenode RPC; +1 namenode HTTP = WebHDFS, +2..+4 datanode data/http/ipc)
# and MLSTORE_HDFS_HTTPFS_PORT, else this checkout's slots (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
version="${MLSTORE_HADOOP_VERSION:-3.4.2}"
# Jars, classes and the Maven repository are shared by every checkout; cluster state is per checkout.
cache="${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/hdfs"
dir="$state/hdfs"
port=$(service_port MLSTORE_HDFS_PORT)        # namenode RPC; +1 namenode HTTP, +2..+4 datanode data/http/ipc
httpfs_port=$(service_port MLSTORE_HDFS_HTTPFS_PORT)
ls_limit="${MLSTORE_HDFS_LS_LIMIT:-7}"
host=127.0.0.1
mini="$cache/minicluster-$version"
httpfs="$cache/httpfs-$version"
m2="$cache/m2"

mvn_copy() { # <tool dir>: copies the runtime dependencies of <tool dir>/pom.xml into <tool dir>/lib
  (cd "$1" && rm -rf lib && mvn -q -B -Dmaven.repo.local="$m2" dependency:copy-dependencies \
    -DoutputDirectory=lib -DincludeScope=runtime >mvn.log 2>&1) || {
    echo "maven could not fetch the jars for $1; see $1/mvn.log" >&2; tail -n 30 "$1/mvn.log" >&2; exit 1; }
}

install_mini() {
  write_main
  [ -f "$mini/.installed" ] && [ -f "$(classes)/MlstoreMiniHdfs.class" ] && return
  command -v mvn >/dev/null && command -v javac >/dev/null || {
    echo "hdfs.sh needs Java 17 (javac) and Maven" >&2; exit 1; }
  mkdir -p "$mini/src"
  cat >"$mini/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>mlstore.test</groupId><artifactId>hdfs-mini</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-minicluster</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-api</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-runtime</artifactId><version>$version</version></dependency>
    <!-- Java 11+ has no JAXB; the shaded Jersey 1 behind WebHDFS needs it (else every call is a 500) -->
    <dependency><groupId>javax.xml.bind</groupId><artifactId>jaxb-api</artifactId><version>2.3.1</version></dependency>
    <dependency><groupId>org.glassfish.jaxb</groupId><artifactId>jaxb-runtime</artifactId><version>2.3.9</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
EOF
  [ -f "$mini/.installed" ] || { mvn_copy "$mini"; touch "$mini/.installed"; }
  # Compiled per version of the source, so an edit of the main below is picked up.
  local out; out=$(classes)
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  javac -nowarn -cp "$mini/lib/*" -d "$out.tmp" "$mini/src/MlstoreMiniHdfs.java"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# Our main: written on every start (cheap), compiled into classes-<checksum of the source>.
write_main() {
  mkdir -p "$mini/src"
  cat >"$mini/src/MlstoreMiniHdfs.java" <<'EOF'
import java.io.File;
import java.nio.file.*;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * 1 namenode + 1 datanode, WebHDFS on, fixed loopback ports; writes BASE/ready once active; runs
 * until killed. Args: BASE PORT [key=value ...] (extra Hadoop settings).
 */
public class MlstoreMiniHdfs {
  public static void main(String[] a) throws Exception {
    String base = a[0];
    int p = Integer.parseInt(a[1]);
    Configuration c = new Configuration();
    c.setBoolean("dfs.webhdfs.enabled", true);
    c.setBoolean("dfs.permissions.enabled", false);   // any user.name may write anywhere
    c.setInt("dfs.replication", 1);
    c.set("dfs.datanode.address", "127.0.0.1:" + (p + 2));
    c.set("dfs.datanode.http.address", "127.0.0.1:" + (p + 3));
    c.set("dfs.datanode.ipc.address", "127.0.0.1:" + (p + 4));
    String me = System.getProperty("user.name");        // HttpFS runs as this user and impersonates callers
    c.set("hadoop.proxyuser." + me + ".hosts", "*");
    c.set("hadoop.proxyuser." + me + ".groups", "*");
    for (int i = 2; i < a.length; i++) {
      int eq = a[i].indexOf('=');
      c.set(a[i].substring(0, eq), a[i].substring(eq + 1));
    }
    Path ready = Paths.get(base, "ready");
    Files.deleteIfExists(ready);
    long t0 = System.currentTimeMillis();
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(c, new File(base, "cluster"))
        .nameNodePort(p).nameNodeHttpPort(p + 1).numDataNodes(1)
        .checkDataNodeAddrConfig(true).format(true).build();
    cluster.waitActive();
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::shutdown));
    Files.writeString(ready, "startup_ms=" + (System.currentTimeMillis() - t0) + "\n");
    Thread.currentThread().join();
  }
}
EOF
}
classes() { echo "$mini/classes-$(cksum <"$mini/src/MlstoreMiniHdfs.java" | cut -d' ' -f1)"; }

install_httpfs() {
  [ -f "$httpfs/.installed" ] && return
  mkdir -p "$httpfs"
  cat >"$httpfs/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>mlstore.test</groupId><artifactId>hdfs-httpfs</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-hdfs-httpfs</artifactId><version>$version</version></dependency>
    <!-- not pulled in transitively -->
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-hdfs-client</artifactId><version>$version</version></dependency>
    <dependency><groupId>javax.xml.bind</groupId><artifactId>jaxb-api</artifactId><version>2.3.1</version></dependency>
    <dependency><groupId>org.glassfish.jaxb</groupId><artifactId>jaxb-runtime</artifactId><version>2.3.9</version></dependency>
  </dependencies>
</project>
EOF
  mvn_copy "$httpfs"
  touch "$httpfs/.installed"
}

# A pid file must name a live JVM running our main class (guards against a stale or reused pid).
alive_nn() { [ -f "$dir/nn.pid" ] && grep -qa -- MlstoreMiniHdfs "/proc/$(cat "$dir/nn.pid")/cmdline" 2>/dev/null; }
alive_fs() { [ -f "$dir/httpfs.pid" ] && grep -qa -- HttpFSServerWebServer "/proc/$(cat "$dir/httpfs.pid")/cmdline" 2>/dev/null; }
probe() { curl -fs -o /dev/null --max-time 2 "$1/webhdfs/v1/?op=GETFILESTATUS&user.name=probe"; }
ready_nn() { [ -f "$dir/nn/ready" ] && probe "$(url)"; }
ready_fs() { probe "$(httpfs_url)"; }

start_nn() {
  alive_nn && return
  local p
  for p in "$port" $((port + 1)) $((port + 2)) $((port + 3)) $((port + 4)); do
    if port_listening "$p"; then echo "port $p already serves something that is not our MiniDFSCluster; set MLSTORE_HDFS_PORT" >&2; exit 1; fi
  done
  rm -rf "$dir/nn" && mkdir -p "$dir/nn"    # fresh, formatted namespace every start
  # Serial GC and a capped heap keep the footprint small; data goes through in 64 KiB packets.
  setsid nohup java -Xmx384m -XX:+UseSerialGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$(classes):$mini/lib/*" MlstoreMiniHdfs "$dir/nn" "$port" "dfs.ls.limit=$ls_limit" \
    dfs.client.block.write.locateFollowingBlock.initial.delay.ms=20 \
    >"$dir/nn.log" 2>&1 </dev/null &
  echo $! >"$dir/nn.pid"
  # Until setsid/nohup have exec'd java, /proc/<pid>/cmdline still shows this script.
  for _ in $(seq 1 100); do alive_nn && break; sleep 0.05; done
}

start_fs() {
  alive_fs && return
  if port_listening "$httpfs_port"; then echo "port $httpfs_port already serves something that is not our HttpFS; set MLSTORE_HDFS_HTTPFS_PORT" >&2; exit 1; fi
  mkdir -p "$dir/httpfs/conf" "$dir/httpfs/log" "$dir/httpfs/tmp"
  cat >"$dir/httpfs/conf/httpfs-site.xml" <<EOF
<configuration>
  <property><name>httpfs.http.hostname</name><value>$host</value></property>
  <property><name>httpfs.http.port</name><value>$httpfs_port</value></property>
</configuration>
EOF
  cat >"$dir/httpfs/conf/core-site.xml" <<EOF
<configuration><property><name>fs.defaultFS</name><value>hdfs://$host:$port</value></property></configuration>
EOF
  # HttpFS's own HDFS client: poll for the last block's completion every 20 ms, not 400 ms.
  cat >"$dir/httpfs/conf/hdfs-site.xml" <<EOF
<configuration><property><name>dfs.client.block.write.locateFollowingBlock.initial.delay.ms</name><value>20</value></property></configuration>
EOF
  [ -f "$dir/httpfs/conf/httpfs-signature.secret" ] || head -c 32 /dev/urandom | base64 >"$dir/httpfs/conf/httpfs-signature.secret"
  # Java 17: JAXB inside Jersey needs these packages opened, else Jetty fails to start.
  local opens=""
  for p in java.lang java.util java.net java.lang.reflect java.io; do opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"; done
  # shellcheck disable=SC2086
  setsid nohup java -Xmx256m -XX:+UseSerialGC $opens -Dhttpfs.home.dir="$dir/httpfs" \
    -Dhttpfs.config.dir="$dir/httpfs/conf" -Dhttpfs.log.dir="$dir/httpfs/log" -Dhttpfs.temp.dir="$dir/httpfs/tmp" \
    -cp "$dir/httpfs/conf:$httpfs/lib/*" org.apache.hadoop.fs.http.server.HttpFSServerWebServer \
    >"$dir/httpfs.log" 2>&1 </dev/null &
  echo $! >"$dir/httpfs.pid"
  for _ in $(seq 1 100); do alive_fs && break; sleep 0.05; done
}

start() {
  local t0=$SECONDS
  install_mini
  install_httpfs
  mkdir -p "$dir"
  start_nn
  start_fs      # HttpFS needs the namenode only per request, so both JVMs start side by side
  local tries=1
  for _ in $(seq 1 900); do
    ready_nn && ready_fs && break
    # A port in Linux's ephemeral range (only an override puts one there) may be held for a moment by a client socket.
    if ! alive_nn && [ $tries -lt 3 ] && grep -q BindException "$dir/nn.log" 2>/dev/null; then
      tries=$((tries + 1)); sleep 2; start_nn; continue
    fi
    alive_nn && alive_fs || break
    sleep 0.2
  done
  ready_nn || { echo "MiniDFSCluster did not become ready; see $dir/nn.log" >&2; tail -n 30 "$dir/nn.log" >&2 || true; exit 1; }
  ready_fs || { echo "HttpFS did not become ready; see $dir/httpfs.log" >&2; tail -n 30 "$dir/httpfs.log" >&2 || true; exit 1; }
  echo "hdfs ready in $((SECONDS - t0)) s: webhdfs $(url) (pid $(cat "$dir/nn.pid")), httpfs $(httpfs_url) (pid $(cat "$dir/httpfs.pid")), rpc $(rpc_url); simple auth, dfs.ls.limit=$ls_limit"
}

stop_one() { # <alive fn> <pid file>
  if "$1"; then
    kill "$(cat "$2")"
    for _ in $(seq 1 100); do "$1" || break; sleep 0.1; done
    if "$1"; then kill -9 "$(cat "$2")"; fi
  fi
  rm -f "$2"
}

stop() {
  stop_one alive_fs "$dir/httpfs.pid"
  stop_one alive_nn "$dir/nn.pid"
  rm -rf "$dir/nn"
}

# Hadoop's own client (FsShell, `hdfs dfs`) from the cached jars needs a core-site.xml on its class path.
client_conf() {
  install_mini >&2
  mkdir -p "$dir/client-conf"
  cat >"$dir/client-conf/core-site.xml" <<EOF
<configuration><property><name>fs.defaultFS</name><value>$(rpc_url)</value></property></configuration>
EOF
}

url() { echo "http://$host:$((port + 1))"; }
httpfs_url() { echo "http://$host:$httpfs_port"; }
rpc_url() { echo "hdfs://$host:$port"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) alive_nn && alive_fs && ready_nn && ready_fs && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  httpfs-url) httpfs_url ;;
  rpc-url) rpc_url ;;
  classpath) client_conf; echo "$dir/client-conf:$mini/lib/*" ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|httpfs-url|rpc-url|classpath|dir" >&2; exit 2 ;;
esac
