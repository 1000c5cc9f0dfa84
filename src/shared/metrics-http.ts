import { createServer, type Server } from 'node:http';
import { messageOf } from './errors.js';
import type { Logger } from './log.js';
import type { Registry } from './prometheus.js';

/** Parses `host:port` (host may be empty = all interfaces); undefined when malformed. */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address);
  const port = Number(m?.[2]);
  if (m === null || !(port >= 0 && port <= 65535)) return undefined;
  return { host: m[1] === '' ? '0.0.0.0' : m[1]!, port };
}

/** Serves the registry at GET /metrics (Prometheus text format) on host:port; resolves once listening. */
export async function serveMetrics(registry: Registry, host: string, port: number, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        logger.warn({ err: messageOf(err) }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  logger.info({ host, port }, 'metrics listening');
  return server;
}
