/**
 * Volume names, types and sizes as users write them: the rules shared by rnx (to refuse bad input
 * before any network traffic) and the daemon (which must not trust any client).
 */
import { InvalidArgumentError } from './errors';
import { invalidName } from './entities';
import { printable } from './ids';
import { parseSize } from './limits';

/** The kinds of volume: an ext4 image on a loop device, or a tmpfs in RAM. */
export const VOLUME_TYPES = ['filesystem', 'memory'] as const;

/** One of VOLUME_TYPES. */
export type VolumeType = (typeof VOLUME_TYPES)[number];

/** Where a job sees its volumes: /volumes/NAME. */
export const VOLUMES_MOUNT_DIR = '/volumes';

/** Smallest volume: below this an ext4 image is mostly metadata. */
export const MIN_VOLUME_BYTES = 1024 ** 2;

/** Largest size the syntax accepts (the server's own ceiling is lower: volumes.maxSizeBytes). */
export const MAX_VOLUME_BYTES = 1024 ** 5;

/** Most volumes one job may mount. */
export const MAX_VOLUMES_PER_JOB = 32;

/**
 * A name is a single path component that cannot be `.`/`..`, hide as a dotfile, start like an
 * option, or exceed what a file name (and a readable list) holds.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** The rule, for error messages and help texts. */
export const VOLUME_NAME_RULE = '1-63 characters of letters, digits, _ and -, starting with a letter or digit';

/** Check a volume name; returns it unchanged or throws InvalidArgumentError. */
export function checkVolumeName(name: string): string {
  if (name === '') throw new InvalidArgumentError(`a volume name is required (${VOLUME_NAME_RULE})`);
  if (!NAME.test(name)) throw invalidName('volume', name, `${name.length > 63 ? `too long (${name.length} characters); ` : ''}use ${VOLUME_NAME_RULE}`);
  return name;
}

/** Parse a volume type; an empty string means the default, filesystem. */
export function parseVolumeType(text: string): VolumeType {
  const t = text.trim().toLowerCase();
  if (t === '') return 'filesystem';
  if ((VOLUME_TYPES as readonly string[]).includes(t)) return t as VolumeType;
  throw new InvalidArgumentError(`--type: '${printable(text)}' is not a volume type; use filesystem (an ext4 image on disk, kept across restarts) or memory (a tmpfs in RAM)`);
}

/**
 * Parse a volume size such as "500MB", "1GB" or "1.5GB" (1024-based; a bare number is bytes),
 * rounded up to whole 4 KiB pages, which is what an image or a tmpfs really has.
 */
export function parseVolumeSize(text: string, max = MAX_VOLUME_BYTES): number {
  if (text.trim() === '') throw new InvalidArgumentError('--size is required: give the volume size, e.g. --size=500MB or --size=1GB');
  const bytes = parseSize('--size', text, MIN_VOLUME_BYTES, max);
  return Math.ceil(bytes / 4096) * 4096;
}

const UNITS: [string, number][] = [
  ['TB', 1024 ** 4],
  ['GB', 1024 ** 3],
  ['MB', 1024 ** 2],
  ['KB', 1024],
];

/** 10485760 → "10MB", 1610612736 → "1.5GB": the largest unit that gives at least 1, two decimals at most. */
export function formatVolumeSize(bytes: number): string {
  const [unit, factor] = UNITS.find(([, f]) => bytes >= f) ?? ['B', 1];
  return `${+(bytes / factor).toFixed(2)}${unit}`;
}
