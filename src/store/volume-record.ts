/**
 * A volume as the daemon stores it, in the `volumes` table (db.ts). Its data lives beside the
 * database: <stateDir>/volumes/<name>/ holds volume.img (filesystem volumes) and the mount point
 * data/ (see src/daemon/volumes/layout.ts).
 */
import type { VolumeType } from '../shared/volumes';

/** Everything the daemon remembers about a volume. Times are Unix milliseconds. */
export interface VolumeRecord {
  name: string;
  type: VolumeType;
  /** Size of the image or the tmpfs, a multiple of 4096. */
  sizeBytes: number;
  createdAt: number;
  /** CN of the client certificate that created it. */
  owner: string;
}
