/**
 * The gRPC transport (ocicrypt `utils/keyprovider/keyprovider.proto`): service
 * `keyprovider.KeyProviderService`, unary methods `WrapKey` and `UnWrapKey`,
 * each taking and returning a message whose only field (1, bytes) carries the
 * same JSON as the command transport. The service definition and the one-field
 * protobuf encoding are written out here (no .proto loading at run time).
 * Plaintext unless `grpc-tls` is configured, as ocicrypt; every call has a
 * deadline (ocicrypt has none).
 */
import { readFile } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { ImgsealError } from '../../../errors.js';
import type { KeyProviderConfig } from './config.js';

type GrpcTlsConfig = NonNullable<KeyProviderConfig['grpcTls']>;
import type { CallOptions } from './command.js';

export const KEYPROVIDER_SERVICE = 'keyprovider.KeyProviderService';

/** Protobuf of `message { bytes field = 1; }`: tag 0x0a, varint length, bytes. */
export function encodeBytesField1(payload: Uint8Array): Buffer {
  const len: number[] = [];
  let n = payload.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), Buffer.from(payload)]);
}

function readVarint(b: Buffer, at: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (let i = at; i < b.length && shift < 49; i++) {
    const c = b[i]!;
    v += (c & 0x7f) * 2 ** shift;
    if ((c & 0x80) === 0) return [v, i + 1];
    shift += 7;
  }
  throw new Error('truncated varint');
}

/** Field 1 of a protobuf message (last occurrence wins, as protobuf); unknown fields skipped. */
export function decodeBytesField1(b: Buffer): Buffer {
  let out: Buffer = Buffer.alloc(0);
  let i = 0;
  while (i < b.length) {
    const [key, next] = readVarint(b, i);
    i = next;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      i = readVarint(b, i)[1];
    } else if (wire === 1) {
      i += 8;
    } else if (wire === 5) {
      i += 4;
    } else if (wire === 2) {
      const [len, start] = readVarint(b, i);
      if (start + len > b.length) throw new Error('truncated field');
      if (field === 1) out = b.subarray(start, start + len);
      i = start + len;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
    if (i > b.length) throw new Error('truncated field');
  }
  return out;
}

function method(name: 'WrapKey' | 'UnWrapKey'): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${KEYPROVIDER_SERVICE}/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: Buffer) => encodeBytesField1(v),
    requestDeserialize: (b: Buffer) => decodeBytesField1(b),
    responseSerialize: (v: Buffer) => encodeBytesField1(v),
    responseDeserialize: (b: Buffer) => decodeBytesField1(b),
    originalName: name,
  };
}

/** The service as grpc-js wants it, for clients and for servers (the example provider). */
export const keyProviderServiceDefinition = {
  WrapKey: method('WrapKey'),
  UnWrapKey: method('UnWrapKey'),
} satisfies grpc.ServiceDefinition;

type Grpc = typeof grpc;

/** @grpc/grpc-js on first call (~13 MiB, ~70 ms to load): only key-provider runs pay for it. */
let loading: Promise<{ lib: Grpc; Client: grpc.ServiceClientConstructor }> | undefined;
function grpcLib(): Promise<{ lib: Grpc; Client: grpc.ServiceClientConstructor }> {
  loading ??= import('@grpc/grpc-js').then((lib) => ({ lib, Client: lib.makeGenericClientConstructor(keyProviderServiceDefinition, 'KeyProviderService') }));
  return loading;
}

async function readTlsFile(who: string, path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ImgsealError('KEY_PROVIDER_ERROR', `${who}: cannot read grpc-tls ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`, { cause: err });
  }
}

async function credentials(lib: Grpc, who: string, tls: GrpcTlsConfig | undefined): Promise<{ creds: grpc.ChannelCredentials; options: grpc.ChannelOptions }> {
  if (!tls) return { creds: lib.credentials.createInsecure(), options: {} };
  const ca = tls.rootCaFile ? await readTlsFile(who, tls.rootCaFile, 'root-ca-file') : null;
  const key = tls.keyFile ? await readTlsFile(who, tls.keyFile, 'key-file') : null;
  const cert = tls.certFile ? await readTlsFile(who, tls.certFile, 'cert-file') : null;
  const verify: grpc.VerifyOptions = tls.insecureSkipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
  let creds: grpc.ChannelCredentials;
  try {
    creds = lib.credentials.createSsl(ca, key, cert, verify);
  } catch (err) {
    throw new ImgsealError('KEY_PROVIDER_ERROR', `${who}: grpc-tls: ${(err as Error).message}`, { cause: err });
  }
  const options: grpc.ChannelOptions = tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
  return { creds, options };
}

function describeGrpcError(lib: Grpc, err: grpc.ServiceError, timeoutMs: number, address: string): string {
  switch (err.code) {
    case lib.status.DEADLINE_EXCEEDED:
      return `no answer within ${timeoutMs / 1000} s`;
    case lib.status.UNAVAILABLE:
      return `cannot reach ${address}: ${err.details}`;
    case lib.status.UNIMPLEMENTED:
      return `${address} does not implement ${KEYPROVIDER_SERVICE}: ${err.details}`;
    default:
      return `${lib.status[err.code] ?? err.code}: ${err.details}`;
  }
}

/** One unary call; the channel is closed afterwards (ocicrypt dials per call too). */
export async function callGrpcProvider(
  who: string,
  address: string,
  tls: GrpcTlsConfig | undefined,
  op: 'keywrap' | 'keyunwrap',
  request: Uint8Array,
  opts: CallOptions,
): Promise<Buffer> {
  const { lib, Client: KeyProviderClient } = await grpcLib();
  const { creds, options } = await credentials(lib, who, tls);
  let client: grpc.Client;
  try {
    client = new KeyProviderClient(address, creds, options);
  } catch (err) {
    throw new ImgsealError('KEY_PROVIDER_ERROR', `${who}: invalid grpc address ${address}: ${(err as Error).message}`, { cause: err });
  }
  const name = op === 'keywrap' ? 'WrapKey' : 'UnWrapKey';
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const deadline = new Date(Date.now() + opts.timeoutMs);
      const call = client.makeUnaryRequest<Buffer, Buffer>(
        keyProviderServiceDefinition[name].path,
        keyProviderServiceDefinition[name].requestSerialize,
        keyProviderServiceDefinition[name].responseDeserialize,
        Buffer.from(request),
        { deadline },
        (err, value) => {
          opts.signal?.removeEventListener('abort', onAbort);
          if (err) reject(new ImgsealError('KEY_PROVIDER_ERROR', `${who}: ${name}: ${describeGrpcError(lib, err, opts.timeoutMs, address)}`, { cause: err }));
          else resolve(value ?? Buffer.alloc(0));
        },
      );
      const onAbort = (): void => call.cancel();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    client.close();
  }
}
