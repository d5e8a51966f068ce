import { describe, expect, it } from 'vitest';
import { parseExtraConf, resolveHdfsSettings } from './hdfs-options.js';
import { parseHdfsUri } from './hdfs-uri.js';

const settings = (uri: string, options: Parameters<typeof resolveHdfsSettings>[1] = {}) => resolveHdfsSettings(parseHdfsUri(uri), { env: {}, ...options });

describe('resolveHdfsSettings', () => {
  it('maps webhdfs/swebhdfs to their gateway, default ports 9870/9871', () => {
    expect(settings('webhdfs://nn/a').gatewayBase.href).toBe('http://nn:9870/webhdfs/v1');
    expect(settings('webhdfs://nn:50070/a').gatewayBase.href).toBe('http://nn:50070/webhdfs/v1');
    expect(settings('swebhdfs://nn/a').gatewayBase.href).toBe('https://nn:9871/webhdfs/v1');
  });
  it('maps hdfs:// through MLSTORE_HDFS_GATEWAY, else the namenode host on 9870; hdfs:/// needs the variable', () => {
    expect(settings('hdfs://nn:8020/a', { env: { MLSTORE_HDFS_GATEWAY: 'https://httpfs:14000/' } }).gatewayBase.href).toBe('https://httpfs:14000/webhdfs/v1');
    expect(settings('hdfs://nn:8020/a').gatewayBase.href).toBe('http://nn:9870/webhdfs/v1');
    expect(() => settings('hdfs:///a')).toThrow(/MLSTORE_HDFS_GATEWAY/);
    expect(settings('hdfs:///a', { gateway: 'http://gw:1/custom/' }).gatewayBase.href).toBe('http://gw:1/custom');
    expect(() => settings('hdfs://nn/a', { gateway: 'ftp://x' })).toThrow(/http\(s\) URL/);
    expect(() => settings('hdfs://nn/a', { gateway: 'http://u:p@x' })).toThrow(/credentials/);
  });
  it('user: option, MLFLOW_KERBEROS_USER, HADOOP_USER_NAME, then the OS user', () => {
    expect(settings('webhdfs://nn/a', { user: 'o', env: { MLFLOW_KERBEROS_USER: 'k', HADOOP_USER_NAME: 'h' } }).auth).toEqual({ kind: 'simple', user: 'o' });
    expect(settings('webhdfs://nn/a', { env: { MLFLOW_KERBEROS_USER: 'k', HADOOP_USER_NAME: 'h' } }).auth).toEqual({ kind: 'simple', user: 'k' });
    expect(settings('webhdfs://nn/a', { env: { HADOOP_USER_NAME: 'h' } }).auth).toEqual({ kind: 'simple', user: 'h' });
    expect(settings('webhdfs://nn/a').auth.kind).toBe('simple');
  });
  it('a delegation token replaces user.name; a ticket cache selects Kerberos', () => {
    expect(settings('webhdfs://nn/a', { env: { MLSTORE_HDFS_DELEGATION_TOKEN: 't0k' } }).auth).toEqual({ kind: 'delegation', token: 't0k' });
    expect(settings('webhdfs://nn:1/a', { env: { MLFLOW_KERBEROS_TICKET_CACHE: '/tmp/cc' } }).auth).toEqual({ kind: 'kerberos', ticketCache: '/tmp/cc', service: 'HTTP@nn', module: 'kerberos' });
    expect(settings('webhdfs://nn:1/a', { auth: 'kerberos', kerberosService: 'HTTP@other' }).auth).toMatchObject({ kind: 'kerberos', service: 'HTTP@other' });
  });
  it('reads MLFLOW_PYARROW_EXTRA_CONF (replication, blocksize, CSRF header); options win', () => {
    const s = settings('webhdfs://nn/a', {
      env: { MLFLOW_PYARROW_EXTRA_CONF: 'dfs.replication=2,dfs.blocksize=1048576,dfs.webhdfs.rest-csrf.enabled=true,other=x=y' },
      extraConf: { 'dfs.replication': '1' },
    });
    expect(s).toMatchObject({ replication: 1, blockSize: 1048576, csrfHeader: 'X-XSRF-HEADER' });
    expect(() => settings('webhdfs://nn/a', { env: { MLFLOW_PYARROW_EXTRA_CONF: 'dfs.replication=two' } })).toThrow(/positive integer/);
  });
  it('parseExtraConf splits on the first = like MLflow', () => {
    expect(parseExtraConf('a=1,b=c=d')).toEqual({ a: '1', b: 'c=d' });
    expect(parseExtraConf(undefined)).toEqual({});
    expect(() => parseExtraConf('novalue')).toThrow(/key=value/);
  });
});
