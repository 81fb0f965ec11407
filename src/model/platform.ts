import { ImgsealError } from '../errors.js';

/** An OCI platform (the `platform` of an index entry, or of an image config). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** Parses `os/arch[/variant]` as given to `--platform`. */
export function parsePlatform(spec: string): Platform {
  const parts = spec.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new ImgsealError('INVALID_ARGUMENT', `invalid platform "${spec}": expected os/arch[/variant]`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

/** Normalises architecture aliases the way containerd's platforms package does. */
export function normalizePlatform(p: Platform): Platform {
  let { architecture, variant } = p;
  const os = p.os.toLowerCase();
  switch (architecture.toLowerCase()) {
    case 'x86_64':
    case 'x86-64':
      architecture = 'amd64';
      break;
    case 'aarch64':
      architecture = 'arm64';
      if (variant === 'v8') variant = undefined;
      break;
    case 'arm64':
      if (variant === 'v8') variant = undefined;
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'i386':
      architecture = '386';
      break;
  }
  const out: Platform = { ...p, os, architecture };
  if (variant) out.variant = variant;
  else delete out.variant;
  return out;
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return '';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Does `candidate` (from an index) satisfy the requested `want`? A request without variant matches any variant. */
export function platformMatches(want: Platform, candidate: Platform | undefined): boolean {
  if (!candidate) return false;
  const a = normalizePlatform(want);
  const b = normalizePlatform(candidate);
  if (a.os !== b.os || a.architecture !== b.architecture) return false;
  return a.variant === undefined || a.variant === b.variant;
}

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const archMap: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const osMap: Record<string, string> = { win32: 'windows' };
  return { os: osMap[process.platform] ?? process.platform, architecture: archMap[process.arch] ?? process.arch };
}
