/** VolumeService.ListVolumes: every volume, by name, with the number of running jobs using it. */
import type { Volumes } from '../../gen/joblet';
import { toVolume } from '../mappers';
import type { VolumeManager } from '../volumes/manager';

/** Handler factory. */
export function listVolumes(volumes: VolumeManager) {
  return async (): Promise<Volumes> => ({ volumes: volumes.list().map(toVolume) });
}
