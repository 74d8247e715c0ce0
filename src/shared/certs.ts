/**
 * The certificates of a joblet installation: one CA, a server certificate, and client
 * certificates whose Subject OU carries the role (admin | viewer). ECDSA P-256 throughout: small,
 * fast to make and verify, and what TLS 1.3 prefers. Output is PEM; keys are PKCS#8.
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as os from 'node:os';
import * as x509 from '@peculiar/x509';
import { InvalidArgumentError } from './errors';
import { isDnsName } from './config/load';

// @peculiar/x509 signs through WebCrypto; node:crypto's implementation is the one to use.
x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type WebKey = crypto.webcrypto.CryptoKey;
type WebKeyPair = crypto.webcrypto.CryptoKeyPair;
type WebAlgorithm = crypto.webcrypto.Algorithm;

/** A certificate and its private key, both PEM. */
export interface CertAndKey {
  cert: string;
  key: string;
}

/** Validity window of a certificate; defaults depend on the kind of certificate. */
export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

/** Roles the daemon knows; other OUs are accepted by the issuer but refused by the daemon. */
export type KnownRole = 'admin' | 'viewer';

const KEY_ALG: crypto.webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN_ALG: crypto.webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;
// Back-date certificates a little: a client whose clock runs behind would otherwise see "not yet valid".
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const ORG = 'Joblet';

/** Make a new CA (CN=Joblet CA, O=Joblet), valid for 10 years unless told otherwise. */
export async function generateCa(validity: Validity = {}): Promise<CertAndKey> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ O: [ORG] }, { CN: ['Joblet CA'] }],
    ...window(validity, 10 * 365),
    signingAlgorithm: SIGN_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** The names a server certificate covers: localhost, 127.0.0.1, ::1, joblet, this host, then `extra`. */
export function serverCertHosts(extra: readonly string[] = []): string[] {
  const hostname = os.hostname();
  const all = ['localhost', '127.0.0.1', '::1', 'joblet', ...(isDnsName(hostname) ? [hostname] : []), ...extra];
  return [...new Set(all.map((h) => h.toLowerCase()))];
}

/**
 * Issue the server certificate (CN=joblet, serverAuth, 2 years) for `serverCertHosts(hosts)`:
 * IP addresses become IP SANs, names DNS SANs. The client verifies the name "joblet", so it is
 * always included.
 */
export async function issueServerCert(ca: CertAndKey, hosts: readonly string[] = [], validity: Validity = {}): Promise<CertAndKey> {
  const sans: x509.JsonGeneralName[] = serverCertHosts(hosts).map((h) => {
    if (net.isIP(h)) return { type: 'ip', value: h };
    if (isDnsName(h.replace(/^\*\./, ''))) return { type: 'dns', value: h };
    throw new InvalidArgumentError(`host '${h}' is neither an IP address nor a DNS name`);
  });
  return issueLeaf(ca, [{ O: [ORG] }, { CN: ['joblet'] }], x509.ExtendedKeyUsage.serverAuth, validity, [
    new x509.SubjectAlternativeNameExtension(sans),
  ]);
}

/**
 * Issue a client certificate for `role` (O=Joblet, OU=<role>, CN=<role>-client, clientAuth,
 * 2 years). Tests pass `validity` to make expired certificates.
 */
export async function issueClientCert(ca: CertAndKey, role: KnownRole | string, validity: Validity = {}): Promise<CertAndKey> {
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(role)) throw new InvalidArgumentError(`role '${role}' must be 1-32 characters of a-z, 0-9 and -`);
  return issueLeaf(ca, [{ O: [ORG] }, { OU: [role] }, { CN: [`${role}-client`] }], x509.ExtendedKeyUsage.clientAuth, validity, []);
}

/** The role a client certificate carries: its Subject OU, lower-cased; undefined if none or ambiguous. */
export function roleFromCertificate(pemOrDer: string | Uint8Array): string | undefined {
  const cert = new x509.X509Certificate(typeof pemOrDer === 'string' ? pemOrDer : new Uint8Array(pemOrDer));
  const ous = [...new Set(cert.subjectName.getField('OU').map((ou) => ou.toLowerCase()))];
  // Two different OUs would let a certificate claim two roles; treat that as no role at all.
  return ous.length === 1 ? ous[0] : undefined;
}

async function issueLeaf(
  ca: CertAndKey,
  subject: x509.JsonName,
  usage: x509.ExtendedKeyUsage,
  validity: Validity,
  extra: x509.Extension[],
): Promise<CertAndKey> {
  const caCert = new x509.X509Certificate(ca.cert);
  const signer = await importSigningKey(ca.key);
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: caCert.subjectName,
    ...window(validity, 2 * 365),
    signingAlgorithm: signer.algorithm,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      ...extra,
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

function newKeyPair(): Promise<WebKeyPair> {
  return crypto.webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify']) as Promise<WebKeyPair>;
}

async function exportKey(key: WebKey): Promise<string> {
  const der = await crypto.webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Import the CA's signing key; it must be ECDSA P-256 like the ones generateCa() makes. */
async function importSigningKey(pem: string): Promise<{ key: WebKey; algorithm: WebAlgorithm }> {
  let keyObject: crypto.KeyObject;
  try {
    keyObject = crypto.createPrivateKey(pem);
  } catch (err) {
    throw new InvalidArgumentError(`CA private key is not a valid PEM private key: ${(err as Error).message}`);
  }
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidArgumentError(`CA private key must be ECDSA P-256 (got ${keyObject.asymmetricKeyType} ${keyObject.asymmetricKeyDetails?.namedCurve ?? ''})`.trimEnd());
  }
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const key = await crypto.webcrypto.subtle.importKey('pkcs8', der, KEY_ALG, false, ['sign']);
  return { key, algorithm: SIGN_ALG };
}

/** 128 random bits, top bit clear so the DER integer stays positive (RFC 5280 §4.1.2.2). */
function serialNumber(): string {
  const b = crypto.randomBytes(16);
  b[0] = b[0]! & 0x7f || 0x01;
  return b.toString('hex');
}

function window(v: Validity, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const notBefore = v.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = v.notAfter ?? new Date(notBefore.getTime() + CLOCK_SKEW_MS + defaultDays * DAY_MS);
  if (notAfter <= notBefore) throw new InvalidArgumentError('certificate notAfter must be later than notBefore');
  return { notBefore, notAfter };
}
