import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy to `host:port` for fault tests that can reset every connection in flight (a crashed
 * server or a dropped network) or stop listening (the server is gone), without touching the shared
 * server behind it. It forwards bytes as they are, so it fits protocols that name no other port
 * (SSH, HTTP without redirects); FTP's passive data ports need a proxy that rewrites the replies.
 */
export class TcpCutProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Bytes forwarded client → server (tests may reset it to 0). */
  upBytes = 0;
  /** Bytes forwarded server → client (tests may reset it to 0). */
  downBytes = 0;
  /** The port it listens on (set by {@link start}). */
  port = 0;

  /** @param host the upstream's address, also the one the proxy listens on. */
  constructor(
    readonly host: string,
    readonly targetPort: number,
  ) {}

  /** Listens on `port` of `host` (default: any free port). */
  async start(port = 0): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect({ host: this.host, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (d: Buffer) => (this.upBytes += d.length));
      upstream.on('data', (d: Buffer) => (this.downBytes += d.length));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((res) => this.server!.listen(port, this.host, res));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Resets every proxied connection (TCP RST); the port keeps listening. */
  cut(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }

  /** Stops listening and cuts everything: the server is gone. */
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}
