/** A custom network as the daemon stores it (table `networks`); built-in networks are not stored. */
export interface NetworkRecord {
  /** User-chosen name, unique per daemon. */
  name: string;
  /** The IPv4 block, "a.b.c.d/n", host bits zero. */
  cidr: string;
  /** Bridge interface, derived from the daemon instance and the name (names.ts). */
  bridge: string;
  /** Unix milliseconds. */
  createdAt: number;
}
