/** Valid inputs to mutate, taken from the skopeo-made vectors in test/fixtures/ocicrypt. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/fuzz/arbitraries/; the fixtures stay in the source tree.
export const OCICRYPT_FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/ocicrypt/', import.meta.url));

function cases(): string[] {
  return readdirSync(OCICRYPT_FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Every small JSON blob of every vector image (manifests and configs), parsed, de-duplicated. */
export function fixtureJsonBlobs(): unknown[] {
  const seen = new Map<string, unknown>();
  for (const c of cases()) {
    const dir = join(OCICRYPT_FIXTURES, c, 'image', 'blobs', 'sha256');
    for (const f of readdirSync(dir).sort()) {
      if (seen.has(f)) continue;
      const bytes = readFileSync(join(dir, f));
      if (bytes.length > 64 << 10 || bytes[0] !== 0x7b) continue;
      try {
        seen.set(f, JSON.parse(bytes.toString('utf8')));
      } catch {
        // a layer that starts with "{" by chance
      }
    }
  }
  return [...seen.values()];
}

export function fixtureIndexes(): unknown[] {
  return cases().map((c) => JSON.parse(readFileSync(join(OCICRYPT_FIXTURES, c, 'image', 'index.json'), 'utf8')));
}

/** Key files of the vectors: path → bytes. */
export function fixtureKeyFiles(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const c of cases()) {
    const dir = join(OCICRYPT_FIXTURES, c, 'keys');
    let files: string[];
    try {
      files = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const f of files) out.set(join(dir, f), readFileSync(join(dir, f)));
  }
  return out;
}

export function fixtureKeyPath(kase: string, file: string): string {
  return join(OCICRYPT_FIXTURES, kase, 'keys', file);
}

/** Layer descriptors with encryption annotations, from every encrypted vector manifest. */
export function fixtureEncryptedLayers(): { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[] {
  const out: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[] = [];
  for (const doc of fixtureJsonBlobs()) {
    const layers = (doc as { layers?: unknown }).layers;
    if (!Array.isArray(layers)) continue;
    for (const l of layers as { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[]) {
      if (l.annotations && Object.keys(l.annotations).some((k) => k.startsWith('org.opencontainers.image.enc.'))) out.push({ ...l, annotations: l.annotations });
    }
  }
  return out;
}
