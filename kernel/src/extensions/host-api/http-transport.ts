import dns from 'node:dns/promises';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Connection target of `http.fetch`, after the address guard has approved `address`. */
export interface ConnectTarget {
  /** The approved IP address; the connection goes to it and to nothing else. */
  address: string;
  family: 4 | 6;
  port: number;
  /** Host name of the URL, for TLS server name indication and certificate checks. */
  hostname: string;
  tls: boolean;
}

/**
 * The network steps of `http.fetch`, separate so tests can watch them: every connection
 * the host API opens goes through `connect`.
 */
export interface HttpTransport {
  /** Resolves a host name to all of its addresses. */
  lookup(hostname: string): Promise<ResolvedAddress[]>;
  /** Opens a TCP connection, with TLS when `target.tls`, to `target.address` exactly. */
  connect(target: ConnectTarget): Duplex;
}

/** node:dns `lookup` (the system resolver, as other programs on the machine use) and node:net/node:tls sockets. */
export const defaultHttpTransport: HttpTransport = {
  async lookup(hostname) {
    const addresses = await dns.lookup(hostname, { all: true, verbatim: true });
    return addresses.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
  },

  connect(target) {
    // An IP literal as `host` means Node does no DNS lookup of its own, so the socket goes
    // to the approved address even if the name's DNS records change in the meantime.
    if (!target.tls) return net.connect({ host: target.address, port: target.port, family: target.family });
    return tls.connect({
      host: target.address,
      port: target.port,
      // Certificates are checked against the URL's host name; SNI takes only names, not IP literals.
      ...(net.isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
      ALPNProtocols: ['http/1.1'],
    });
  },
};
