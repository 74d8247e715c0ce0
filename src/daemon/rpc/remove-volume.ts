/** VolumeService.RemoveVolume: unmount, detach and delete a volume; refused while a running job uses it. */
import type { RemoveVolumeRequest, RemoveVolumeResponse } from '../../gen/joblet';
import type { VolumeManager } from '../volumes/manager';

/** Handler factory. Failures are gRPC errors (never success=false with status OK). */
export function removeVolume(volumes: VolumeManager) {
  return async (req: RemoveVolumeRequest): Promise<RemoveVolumeResponse> => {
    await volumes.remove(req.name);
    return { success: true, message: `Volume '${req.name}' removed successfully` };
  };
}
