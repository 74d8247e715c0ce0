/** VolumeService.CreateVolume: a filesystem (ext4 image) or memory (tmpfs) volume of a given size. */
import type { CreateVolumeRequest, CreateVolumeResponse } from '../../gen/joblet';
import { checkVolumeName, parseVolumeSize, parseVolumeType } from '../../shared/volumes';
import type { CallerContext } from '../middleware/auth';
import { toVolume } from '../mappers';
import type { VolumeManager } from '../volumes/manager';

/** Handler factory. */
export function createVolume(volumes: VolumeManager) {
  return async (req: CreateVolumeRequest, ctx: CallerContext): Promise<CreateVolumeResponse> => {
    const name = checkVolumeName(req.name);
    const type = parseVolumeType(req.type);
    const sizeBytes = parseVolumeSize(req.size);
    const v = toVolume(await volumes.create({ name, type, sizeBytes }, ctx.caller.name));
    return { name: v.name, size: v.size, type: v.type, path: v.path };
  };
}
