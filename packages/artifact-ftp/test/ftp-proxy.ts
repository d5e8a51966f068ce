/**
 * A TCP proxy in front of the test FTP server for fault tests: it forwards the control connection
 * and rewrites every passive reply (EPSV 229 / PASV 227) to a data port of its own, so data
 * connections run through it too. Tests can then cut every connection (mid-transfer), refuse new
 * ones (the server looks dead) and count control connections (pooling). Plain FTP only: the
 * replies of ftps:// are encrypted.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FtpProxy {
  port: number;
  /** Control connections accepted so far. */
  readonly controlConnections: number;
  /** Control connections open now. */
  readonly openControlConnections: number;
  /** Bytes forwarded on data connections so far (both directions). */
  readonly dataBytes: number;
  /** Destroys every open connection (control and data); new ones are still accepted. */
  cutAll(): void;
  /** While true, new connections are closed at once (a dead server). */
  refuse: boolean;
  close(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

/** Starts a proxy to `127.0.0.1:<targetPort>`. */
export async function startFtpProxy(targetPort: number): Promise<FtpProxy> {
  const sockets = new Set<Socket>();
  const dataServers = new Set<Server>();
  let controlConnections = 0;
  let dataBytes = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const pair = (a: Socket, b: Socket) => {
    a.on('close', () => b.destroy());
    b.on('close', () => a.destroy());
  };
  /** A one-shot listener forwarding one data connection to the server's passive port. */
  const dataPort = async (serverPort: number): Promise<number> => {
    const server = createServer((client) => {
      server.close();
      dataServers.delete(server);
      if (proxy.refuse) return client.destroy();
      const upstream = connect({ host: '127.0.0.1', port: serverPort });
      track(client);
      track(upstream);
      pair(client, upstream);
      client.on('data', (d: Buffer) => (dataBytes += d.length));
      upstream.on('data', (d: Buffer) => (dataBytes += d.length));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    dataServers.add(server);
    return listen(server);
  };
  const control = createServer((client) => {
    if (proxy.refuse) return client.destroy();
    controlConnections++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    track(client);
    track(upstream);
    pair(client, upstream);
    client.pipe(upstream);
    // Replies are line-based: rewrite passive ports line by line, in order.
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let nl: number;
      while ((nl = pending.indexOf(10)) >= 0) {
        const line = pending.subarray(0, nl + 1).toString('latin1');
        pending = pending.subarray(nl + 1);
        chain = chain.then(async () => {
          let out = line;
          const epsv = /^229 (.*)\(\|\|\|(\d+)\|\)/.exec(line);
          const pasv = /^227 .*?(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(line);
          if (epsv) out = `229 ${epsv[1]}(|||${await dataPort(Number(epsv[2]))}|)\r\n`;
          else if (pasv) {
            const p = await dataPort(Number(pasv[5]) * 256 + Number(pasv[6]));
            out = `227 Entering passive mode (127,0,0,1,${p >> 8},${p & 255}).\r\n`;
          }
          if (!client.destroyed) client.write(Buffer.from(out, 'latin1'));
        });
      }
    });
  });
  const port = await listen(control);
  const proxy: FtpProxy = {
    port,
    refuse: false,
    get controlConnections() {
      return controlConnections;
    },
    get openControlConnections() {
      return [...sockets].filter((s) => s.localPort === port).length;
    },
    get dataBytes() {
      return dataBytes;
    },
    cutAll() {
      for (const s of sockets) s.destroy();
      for (const s of dataServers) s.close();
      dataServers.clear();
    },
    close: async () => {
      proxy.cutAll();
      await new Promise<void>((r) => control.close(() => r()));
    },
  };
  return proxy;
}
