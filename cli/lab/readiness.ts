// Readiness probes from the workstation: an sshd that speaks SSH, an nginx that names its host.
import { connect } from 'node:net';
import { request } from 'node:http';

/** True once something on address:port sends an SSH identification string (RFC 4253 §4.2). */
export function sshAnswers(address: string, port = 22, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    let seen = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.startsWith('SSH-')) {
        // Identify ourselves so sshd logs a clean disconnect rather than a protocol error.
        socket.setTimeout(0);
        socket.end('SSH-2.0-haup-lab-probe\r\n');
        resolve(true);
      } else if (seen.length >= 4) done(false);
    });
  });
}

/** The body of GET http://address:port/, or undefined when nothing answers with 200. */
export function httpBody(address: string, port = 80, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
