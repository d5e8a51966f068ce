/**
 * A small HTTP proxy for fault tests: one front port per upstream (the namenode's WebHDFS, the
 * datanode, HttpFS), `Location` headers naming an upstream rewritten to its front, so every leg
 * of a transfer runs through it. `cut()` kills every connection in flight (the gateway's process
 * dying mid-transfer), `close()` stops listening (gateway gone), `reopen()` listens again on the
 * same ports.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export class CutProxy {
  private readonly servers = new Map<string, http.Server>();
  private readonly ports = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  /** Bytes of request bodies forwarded so far. */
  uploaded = 0;
  /** Request lines (`METHOD /path?query`) forwarded so far. */
  readonly requests: string[] = [];

  /** @param upstreams origins to front, e.g. the namenode's WebHDFS `http://127.0.0.1:<MLSTORE_HDFS_PORT + 1>`. */
  constructor(private readonly upstreams: string[]) {}

  /** Front origin of an upstream origin. */
  front(upstream: string): string {
    const port = this.ports.get(upstream);
    if (port === undefined) throw new Error(`not proxied: ${upstream}`);
    return `http://127.0.0.1:${port}`;
  }

  async start(): Promise<this> {
    for (const up of this.upstreams) await this.listen(up, this.ports.get(up) ?? 0);
    return this;
  }

  private listen(upstream: string, port: number): Promise<void> {
    const server = http.createServer((req, res) => this.forward(upstream, req, res));
    server.on('connection', (s) => this.track(s));
    this.servers.set(upstream, server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const addr = server.address();
        if (addr && typeof addr === 'object') this.ports.set(upstream, addr.port);
        resolve();
      });
    });
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private forward(upstream: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = new URL(req.url ?? '/', upstream);
    this.requests.push(`${req.method} ${req.url}`);
    const headers = { ...req.headers, host: target.host };
    const out = http.request(target, { method: req.method, headers, agent: false }, (up) => {
      const h = { ...up.headers };
      if (typeof h.location === 'string') {
        for (const u of this.upstreams) if (h.location.startsWith(u)) h.location = this.front(u) + h.location.slice(u.length);
      }
      res.writeHead(up.statusCode ?? 502, h);
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    out.on('socket', (s) => this.track(s));
    out.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => (this.uploaded += c.length));
    req.pipe(out);
  }

  /** Destroys every connection in flight; the ports keep listening. */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    const closing = [...this.servers.values()].map((s) => new Promise<void>((r) => s.close(() => r())));
    this.cut();
    await Promise.all(closing);
    this.servers.clear();
  }

  /** Listens again on the same ports. */
  async reopen(): Promise<void> {
    await this.start();
  }
}
