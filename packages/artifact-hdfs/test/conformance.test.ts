/**
 * The artifact kit against test/services/hdfs.sh: the namenode's WebHDFS (two-step writes through
 * the datanode) via `webhdfs://`, HttpFS (data through the gateway) via `webhdfs://` on its port,
 * and MLflow's `hdfs://` URI mapped to the gateway by MLSTORE_HDFS_GATEWAY. The cluster pages
 * listings every 7 entries (dfs.ls.limit), so LISTSTATUS_BATCH paging runs in every listing past
 * 7 entries; one form lists with plain LISTSTATUS. The integration profile streams a 1 GiB file
 * through WebHDFS and through HttpFS (MLSTORE_LARGE_FILE_MB overrides). Without the cluster: loud skip, or failure
 * under MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { describeArtifactRepository } from '@mlstore/testkit';
import { HdfsArtifactRepository } from '../src/index.js';
import { HDFS_RPC, HTTPFS_AUTHORITY, HTTPFS_URL, WEBHDFS_AUTHORITY, hdfsReachable, requireHdfs } from './hdfs-server.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const run = randomBytes(5).toString('hex');
const MiB = 1024 * 1024;

// As MLflow's HdfsArtifactRepository (delete_dir_contents), deleting a directory empties it and the
// directory stays (capabilities.deleteSemantics = 'contents'); the kit checks exactly that.
const SKIP: Record<string, string> = {};
// HttpFS runs the old rename (no `renameoptions=OVERWRITE`): an overwrite deletes the old file, then
// renames the new one in, and a reader in between finds nothing (MLflow's pyarrow repository
// writes in place instead: its readers see a half-written file).
const HTTPFS_GAP = 'HttpFS has no atomic rename over an existing file (delete, then rename)';

if (requireHdfs(await hdfsReachable(), 'artifact-hdfs conformance')) {
  const largeFileBytes = integration ? 1024 * MiB : undefined;
  describeArtifactRepository(
    'hdfs (webhdfs:// to the namenode, datanode redirects, LISTSTATUS_BATCH)',
    () => new HdfsArtifactRepository(`webhdfs://${WEBHDFS_AUTHORITY}/mlstore-kit/${run}/webhdfs`, { user: 'mlstore', env: {} }),
    largeFileBytes ? { largeFileBytes, skip: SKIP } : { skip: SKIP },
  );
  describeArtifactRepository(
    'hdfs (webhdfs:// to HttpFS, data through the gateway)',
    () => new HdfsArtifactRepository(`webhdfs://${HTTPFS_AUTHORITY}/mlstore-kit/${run}/httpfs/`, { user: 'mlstore', env: {} }),
    // HttpFS streams the data through its own JVM (256 MiB heap): the 1 GiB case runs here too.
    { ...(largeFileBytes ? { largeFileBytes } : {}), skip: SKIP, overwriteGap: HTTPFS_GAP },
  );
  describeArtifactRepository(
    'hdfs (MLflow hdfs:// URI, MLSTORE_HDFS_GATEWAY=HttpFS, user from HADOOP_USER_NAME, plain LISTSTATUS)',
    () =>
      new HdfsArtifactRepository(`${HDFS_RPC}/mlstore-kit/${run}/hdfs-uri`, {
        env: { MLSTORE_HDFS_GATEWAY: HTTPFS_URL, HADOOP_USER_NAME: 'mlflow' },
        listBatch: false,
      }),
    {
      largeFileCapBytes: 16 * MiB,
      overwriteGap: HTTPFS_GAP,
      skip: {
        ...SKIP,
        // Same gateway as the form above (HttpFS); plain LISTSTATUS over 5,000 entries runs in
        // test/bad-input.test.ts. Skipped here to keep CI's three runs of this file short.
        'artifacts/object-store > lists more than 1,000 entries of one directory (several pages)': 'covered by the HttpFS form above and bad-input.test.ts',
        'artifacts/object-store > deletes a directory of more than 1,000 objects': 'covered by the HttpFS form above',
      },
    },
  );
}
