import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/** A throwaway CA and a loopback server certificate, made with openssl (valid one day). */
export function selfSignedCert() {
    const dir = mkdtempSync(join(tmpdir(), 'rocker-tls-'));
    const f = (n) => join(dir, n);
    const run = (...args) => {
        const r = spawnSync('openssl', args, { encoding: 'utf8' });
        if (r.status !== 0)
            throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
    };
    writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=rocker-test-ca');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
    run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('ext'));
    return { dir, caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key'), ca: readFileSync(f('ca.pem')) };
}
/** redis-server arguments serving TLS only on `port` (no plain port), with this certificate. */
export function redisTlsArgs(cert, port) {
    return ['--port', '0', '--tls-port', String(port), '--tls-cert-file', cert.certFile, '--tls-key-file', cert.keyFile, '--tls-ca-cert-file', cert.caFile, '--tls-auth-clients', 'no'];
}
//# sourceMappingURL=tls.js.map