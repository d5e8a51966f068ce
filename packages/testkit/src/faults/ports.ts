import { connect, createServer, type AddressInfo } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (listened on, then released): for a private
 * server, or as a closed port where every connection is refused.
 */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * True when a TCP server at `host:port` speaks first with bytes starting with `prefix` (an SSH
 * banner `SSH-`, an FTP greeting `220`) within `timeoutMs`; false on refusal, silence or anything else.
 */
export function greetsWith(host: string, port: number, prefix: string, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data: Buffer) => done(data.toString('latin1').startsWith(prefix)));
  });
}
