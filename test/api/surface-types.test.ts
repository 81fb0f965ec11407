// The public surface, part two: every exported *type* (interfaces and type aliases,
// which surface.test.ts cannot see at run time) is listed here, read from the built
// declarations with the TypeScript compiler, so adding or removing one is deliberate.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import ts from 'typescript';

const EXPECTED_TYPES = `AuditRecord BlobAction CopiedLayer CopyOptions CopyResult DecodeLayerOptions DecodeLayerResult DecoderPayload
DecryptOptions DecryptionKey Descriptor Digest DigestAlgorithm EncryptOptions ErrorCode ImageConfig ImageDestination
ImageIndex ImageManifest ImageReference ImageSource ImageVerdict InspectResult KeyDirectory KeyGenOptions KeyPair
KeyProtectConfig KeyScheme KeySource KeySyncOptions Kms Pkcs11KmsConfig LayerCompression LayerInfo ManifestBlob ManifestSigner
MemoryPacerOptions MemoryPacerStats OpenedLayer ParsedDigest ParsedManifest Platform Policy PolicyRequirement
ProgressSink PutBlobInfo PutBlobResult Recipient RegistryCredentials RewrapResult SchemeConfig SchemeContext
SecretRecord SourcePolicy SystemContext TagList Transport TrustInspection TrustOptions TrustPassphrases TrustedTarget
UntrustedSignature UntrustedSourceImage Verdict VerifiedRepository VerifiedSimpleSignature`.split(/\s+/);

/** Names exported from the package entry's declarations that are types only (no value). */
function exportedTypeNames(): string[] {
  const entry = fileURLToPath(new URL('../../src/index.d.ts', import.meta.url));
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  assert.ok(source, `${entry} exists (build first)`);
  const module = checker.getSymbolAtLocation(source);
  assert.ok(module, 'the entry is a module');
  return checker
    .getExportsOfModule(module)
    .filter((s) => ((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value) === 0)
    .map((s) => s.name)
    .sort();
}

test('the exported types are exactly the listed names', { timeout: 120_000 }, () => {
  assert.deepEqual(exportedTypeNames(), [...EXPECTED_TYPES].sort());
});
