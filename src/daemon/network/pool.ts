/**
 * The addresses of one network: the first host address is the gateway (on the bridge), the
 * others go to jobs, each to one job at a time. Next-fit allocation, so an address just
 * released is the last to be handed out again (a late packet for the old job rarely reaches a
 * new one). In memory only: after a restart no job runs, so every address is free.
 */
import { JobletError } from '../../shared/errors';
import { blockSize, cidrText, formatIPv4, type Cidr } from '../../shared/cidr';

/** Allocates job addresses of one CIDR block. */
export class AddressPool {
  /** The gateway address (base + 1). */
  readonly gateway: number;
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(readonly cidr: Cidr) {
    const size = blockSize(cidr);
    // Network address and broadcast are not host addresses; the gateway takes the first one.
    this.gateway = cidr.base + 1;
    this.first = cidr.base + 2;
    this.last = cidr.base + size - 2;
    this.cursor = this.first;
  }

  /** How many job addresses the block has. */
  get capacity(): number {
    return Math.max(0, this.last - this.first + 1);
  }

  /** How many are handed out. */
  get inUse(): number {
    return this.used.size;
  }

  /** A free address; throws RESOURCE_EXHAUSTED when every one is taken. */
  allocate(): number {
    if (this.used.size >= this.capacity) {
      throw new JobletError('RESOURCE_EXHAUSTED', `network ${cidrText(this.cidr)} has no free address: all ${this.capacity} are used by running jobs`);
    }
    for (;;) {
      const ip = this.cursor;
      this.cursor = ip >= this.last ? this.first : ip + 1;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
  }

  /** Give an address back; releasing one not handed out is a bug. */
  release(ip: number): void {
    if (!this.used.delete(ip)) throw new JobletError('INTERNAL', `address ${formatIPv4(ip)} of ${cidrText(this.cidr)} was released but not in use`);
  }
}
