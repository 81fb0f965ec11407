// A plain blob copy through transferBlob, as the copy pipeline makes one for a layer
// copied unchanged (no steps, quiet progress); tests override what they exercise.
import { transferBlob, type BlobTransfer } from '../../src/copy/copy-blob.js';
import { silentProgress } from '../../src/copy/progress.js';
import type { PutBlobResult } from '../../src/transports/types.js';
import type { Descriptor } from '../../src/model/descriptor.js';
import type { ImageDestination, ImageSource } from '../../src/transports/types.js';

export function transferUnchanged(src: ImageSource, dest: ImageDestination, desc: Descriptor, extra: Partial<BlobTransfer> = {}): Promise<PutBlobResult> {
  return transferBlob({
    src,
    dest,
    desc,
    steps: () => [],
    info: { digest: desc.digest, size: desc.size, mediaType: desc.mediaType },
    action: 'copy',
    progress: silentProgress,
    what: `layer ${desc.digest}`,
    ...extra,
  });
}
