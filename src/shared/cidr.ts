/**
 * IPv4 addresses and CIDR blocks as unsigned 32-bit numbers, and the rules a job network's CIDR
 * must follow. Pure: no system access, so unit tests cover every rule.
 */
import { InvalidArgumentError } from './errors';
import { printable } from './ids';

/** An IPv4 block: `base` (host bits zero) and prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** Smallest block a network may have (/30: a gateway and one job) and largest (/8). */
export const MIN_PREFIX = 8;
export const MAX_PREFIX = 30;

/** Blocks no job network may touch: this-network, loopback, link-local (cloud metadata), multicast, reserved + broadcast. */
export const RESERVED: ReadonlyArray<[string, Cidr]> = [
  ['"this network" (0.0.0.0/8)', { base: 0x00000000, prefix: 8 }],
  ['loopback (127.0.0.0/8)', { base: 0x7f000000, prefix: 8 }],
  ['link-local, where cloud metadata lives (169.254.0.0/16)', { base: 0xa9fe0000, prefix: 16 }],
  ['multicast (224.0.0.0/4)', { base: 0xe0000000, prefix: 4 }],
  ['reserved and broadcast (240.0.0.0/4)', { base: 0xf0000000, prefix: 4 }],
];

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parse a dotted quad strictly (no leading zeros, which some tools read as octal); undefined if invalid. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** A number as a dotted quad. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The netmask of a prefix length as a number. */
export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Number of addresses in a block. */
export function blockSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** "a.b.c.d/n". */
export function cidrText(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

/** Do two blocks share an address? */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const m = mask(Math.min(a.prefix, b.prefix));
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0);
}

/** Is `ip` inside `c`? */
export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

/**
 * Parse "a.b.c.d/n" exactly as a network block: syntax, prefix 0-32, no host bits set (a typo
 * like 10.1.2.3/16 is refused with the block that was probably meant). Throws InvalidArgumentError.
 */
export function parseCidr(text: string, what = 'CIDR'): Cidr {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text.trim());
  const ip = m ? parseIPv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || ip === undefined || prefix > 32) {
    throw new InvalidArgumentError(`${what} '${printable(text)}' is not an IPv4 block: write ADDRESS/PREFIX, e.g. 10.10.0.0/24`);
  }
  const base = (ip & mask(prefix)) >>> 0;
  if (base !== ip) {
    throw new InvalidArgumentError(`${what} ${text.trim()} has host bits set: the network address of that block is ${formatIPv4(base)}/${prefix}`);
  }
  return { base, prefix };
}

/** Refuse blocks that are too small, too large, or touch a reserved range. Throws InvalidArgumentError. */
export function checkNetworkCidr(c: Cidr, what = 'CIDR'): void {
  const text = cidrText(c);
  if (c.prefix > MAX_PREFIX) {
    throw new InvalidArgumentError(`${what} ${text} is too small: a network needs at least a /${MAX_PREFIX} (a gateway and one job)`);
  }
  if (c.prefix < MIN_PREFIX) throw new InvalidArgumentError(`${what} ${text} is too large: at most a /${MIN_PREFIX}`);
  for (const [name, r] of RESERVED) {
    if (overlaps(c, r)) throw new InvalidArgumentError(`${what} ${text} overlaps ${name}, which job networks may not use`);
  }
}

/** parseCidr + checkNetworkCidr. */
export function parseNetworkCidr(text: string, what = 'CIDR'): Cidr {
  const c = parseCidr(text, what);
  checkNetworkCidr(c, what);
  return c;
}
