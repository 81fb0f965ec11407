#!/usr/bin/env node
// A small ocicrypt key provider: wraps a layer's private options with AES-256-GCM
// under a local 32-byte key file. Works with imgseal, skopeo/podman (ocicrypt) and
// containerd imgcrypt, as
//
//   a command provider:  aes-keyprovider.mjs --key FILE
//        (request JSON on stdin, answer JSON on stdout)
//   a gRPC provider:     aes-keyprovider.mjs --key FILE --grpc 127.0.0.1:50051
//        [--tls-cert cert.pem --tls-key key.pem]   (keyprovider.KeyProviderService)
//   key generation:      aes-keyprovider.mjs --generate-key FILE
//        (32 random bytes, mode 0600, written via a temporary file)
//
// Stored annotation entry (opaque to ocicrypt): JSON
//   {"kid":"<first 16 hex of sha256(key)>","wrapped_data":B64,"iv":B64,"wrap_type":"A256GCM"}
// An entry made with another key is answered with empty optsdata ("not mine"), so
// the caller tries its other keys. The key never appears in any output.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

function usage(msg) {
  process.stderr.write(`aes-keyprovider: ${msg}\nusage: aes-keyprovider.mjs --key FILE [--grpc ADDR [--tls-cert F --tls-key F]] | --generate-key FILE\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--key') opts.key = val();
    else if (a === '--grpc') opts.grpc = val();
    else if (a === '--tls-cert') opts.tlsCert = val();
    else if (a === '--tls-key') opts.tlsKey = val();
    else if (a === '--generate-key') opts.generate = val();
    else usage(`unknown argument ${a}`);
  }
  return opts;
}

function generateKey(path) {
  if (existsSync(path)) throw new Error(`${path} exists; not replacing a key file`);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(32));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

function loadKey(path) {
  let data;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read key file ${path}: ${err.code ?? err.message}`);
  }
  // 32 raw bytes, or 64 hex digits (with an optional newline).
  if (data.length === 32) return data;
  const hex = data.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return Buffer.from(hex, 'hex');
  throw new Error(`key file ${path} must hold 32 bytes (or 64 hex digits)`);
}

const kidOf = (key) => createHash('sha256').update(key).digest('hex').slice(0, 16);

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function b64(s, what) {
  if (typeof s !== 'string' || !B64.test(s)) throw new Error(`${what} is not standard base64`);
  return Buffer.from(s, 'base64');
}

/** One protocol request (JSON bytes) → answer (JSON bytes). */
export function handle(key, requestBytes) {
  let req;
  try {
    req = JSON.parse(Buffer.from(requestBytes).toString('utf8'));
  } catch {
    throw new Error('request is not JSON');
  }
  if (req.op === 'keywrap') {
    const opts = b64(req.keywrapparams?.optsdata, 'keywrapparams.optsdata');
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const wrapped = Buffer.concat([c.update(opts), c.final(), c.getAuthTag()]);
    const annotation = JSON.stringify({ kid: kidOf(key), wrapped_data: wrapped.toString('base64'), iv: iv.toString('base64'), wrap_type: 'A256GCM' });
    return Buffer.from(JSON.stringify({ keywrapresults: { annotation: Buffer.from(annotation).toString('base64') } }));
  }
  if (req.op === 'keyunwrap') {
    const entry = JSON.parse(b64(req.keyunwrapparams?.annotation, 'keyunwrapparams.annotation').toString('utf8'));
    if (entry.wrap_type !== 'A256GCM' || entry.kid !== kidOf(key)) {
      return Buffer.from(JSON.stringify({ keyunwrapresults: { optsdata: null } }));
    }
    const data = b64(entry.wrapped_data, 'wrapped_data');
    if (data.length < 16) throw new Error('wrapped_data too short');
    const d = createDecipheriv('aes-256-gcm', key, b64(entry.iv, 'iv'));
    d.setAuthTag(data.subarray(data.length - 16));
    let opts;
    try {
      opts = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
    } catch {
      throw new Error('wrapped key does not authenticate (tampered, or a different key with the same kid)');
    }
    return Buffer.from(JSON.stringify({ keyunwrapresults: { optsdata: opts.toString('base64') } }));
  }
  throw new Error(`unknown op ${JSON.stringify(req.op)}`);
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks);
}

// gRPC: keyprovider.KeyProviderService with one-field messages (bytes, field 1).
function encodeField1(payload) {
  const len = [];
  let n = payload.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), payload]);
}
function decodeField1(b) {
  let i = 0;
  let out = Buffer.alloc(0);
  const varint = () => {
    let v = 0;
    for (let s = 0; ; s += 7) {
      if (i >= b.length) throw new Error('truncated protobuf');
      const c = b[i++];
      v += (c & 0x7f) * 2 ** s;
      if ((c & 0x80) === 0) return v;
    }
  };
  while (i < b.length) {
    const k = varint();
    const wire = k % 8;
    if (wire === 2) {
      const len = varint();
      if (Math.floor(k / 8) === 1) out = b.subarray(i, i + len);
      i += len;
    } else if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error('bad protobuf');
  }
  return out;
}

async function serveGrpc(key, address, tlsCert, tlsKey) {
  const grpc = (await import('@grpc/grpc-js')).default;
  const method = (name) => ({
    path: `/keyprovider.KeyProviderService/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeField1,
    requestDeserialize: decodeField1,
    responseSerialize: encodeField1,
    responseDeserialize: decodeField1,
  });
  const unary = (call, callback) => {
    try {
      callback(null, handle(key, call.request));
    } catch (err) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
    }
  };
  const server = new grpc.Server();
  server.addService({ WrapKey: method('WrapKey'), UnWrapKey: method('UnWrapKey') }, { WrapKey: unary, UnWrapKey: unary });
  const creds =
    tlsCert && tlsKey
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(tlsCert), private_key: readFileSync(tlsKey) }], false)
      : grpc.ServerCredentials.createInsecure();
  const port = await new Promise((resolve, reject) => server.bindAsync(address, creds, (err, p) => (err ? reject(err) : resolve(p))));
  // The bound port on stdout (one line) lets callers use port 0.
  process.stdout.write(`listening ${port}\n`);
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.generate) {
    generateKey(opts.generate);
    return;
  }
  if (!opts.key) usage('--key FILE is required');
  const key = loadKey(opts.key);
  if (opts.grpc) return serveGrpc(key, opts.grpc, opts.tlsCert, opts.tlsKey);
  process.stdout.write(handle(key, await readStdin()));
}

main().catch((err) => {
  process.stderr.write(`aes-keyprovider: ${err.message}\n`);
  process.exit(1);
});
