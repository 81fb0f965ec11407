/**
 * Reading containerd's payload from file descriptor 3. When containerd passes none,
 * fd 3 is not inherited and Node itself opens its event-loop descriptor there, so
 * "open" alone proves nothing: only a pipe, socket or regular file counts.
 */
import { fstatSync, readSync } from 'node:fs';
import { ImgsealError } from '../../errors.js';
import { PAYLOAD_HELP } from './payload.js';

const MAX_PAYLOAD = 16 << 20;

export function readPayloadFd(fd = 3): Buffer {
  let ok = false;
  try {
    const st = fstatSync(fd);
    ok = st.isFIFO() || st.isSocket() || st.isFile() || st.isCharacterDevice();
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new ImgsealError('DECODER_PAYLOAD', `no unpack payload: file descriptor ${fd} is not open, so the layer's descriptor and wrapped keys are unknown; ${PAYLOAD_HELP}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.alloc(64 << 10);
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      throw new ImgsealError('DECODER_PAYLOAD', `cannot read the unpack payload on fd ${fd}: ${code ?? 'read error'}`, { cause: err });
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_PAYLOAD) throw new ImgsealError('DECODER_PAYLOAD', `the unpack payload on fd ${fd} is larger than ${MAX_PAYLOAD} bytes`);
    chunks.push(buf.subarray(0, n));
  }
  return Buffer.concat(chunks);
}
