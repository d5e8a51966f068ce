/**
 * The MiniDFSCluster + HttpFS of test/services/hdfs.sh for the integration suites: their
 * addresses, a reachability probe, and the loud skip / hard failure when they are not running.
 */
import { requireService, servicePort } from '@mlstore/testkit';

/** The namenode's RPC port (`MLSTORE_HDFS_PORT`, published by the script in .services/ports.env). */
export const HDFS_PORT = servicePort('MLSTORE_HDFS_PORT');
/** The namenode's WebHDFS (`MLSTORE_HDFS_URL`, else the RPC port + 1). */
export const WEBHDFS_URL = process.env.MLSTORE_HDFS_URL ?? `http://127.0.0.1:${HDFS_PORT + 1}`;
/** The HttpFS gateway (`MLSTORE_HDFS_HTTPFS_URL`, else port `MLSTORE_HDFS_HTTPFS_PORT`). */
export const HTTPFS_URL = process.env.MLSTORE_HDFS_HTTPFS_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_HDFS_HTTPFS_PORT')}`;
/** hdfs:// address of the namenode RPC. */
export const HDFS_RPC = `hdfs://127.0.0.1:${HDFS_PORT}`;
/** `webhdfs://host:port` forms of the two gateways. */
export const WEBHDFS_AUTHORITY = WEBHDFS_URL.replace(/^http:\/\//, '');
export const HTTPFS_AUTHORITY = HTTPFS_URL.replace(/^http:\/\//, '');
/** The namenode's page size (dfs.ls.limit) set by the script. */
export const LS_LIMIT = Number(process.env.MLSTORE_HDFS_LS_LIMIT ?? '7');

/** True when `url` answers WebHDFS GETFILESTATUS on `/`. */
export async function gatewayReachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/webhdfs/v1/?op=GETFILESTATUS&user.name=probe`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** True when both the namenode's WebHDFS and HttpFS answer. */
export async function hdfsReachable(): Promise<boolean> {
  const [a, b] = await Promise.all([gatewayReachable(WEBHDFS_URL), gatewayReachable(HTTPFS_URL)]);
  return a && b;
}

/** True when the suites can run; otherwise the house's loud skip (or failure under CI), see `requireService`. */
export function requireHdfs(available: boolean, suite: string): boolean {
  return requireService(available, suite, `HDFS (WebHDFS ${WEBHDFS_URL} and HttpFS ${HTTPFS_URL}) is not reachable; start it with test/services/hdfs.sh start`);
}
