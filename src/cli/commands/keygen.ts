/**
 * `imgseal keygen`: a key pair for JWE recipients, replacing `openssl genrsa` +
 * `openssl rsa -pubout`. The private key is written 0600 and never printed.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { generateKeyPair, writeKeyPair, type KeyGenOptions } from '../../crypto/keys/index.js';
import { ImgsealError } from '../../errors.js';

interface KeygenFlags {
  type: string;
  bits?: number;
  curve?: string;
  privateKey?: string;
  publicKey?: string;
  output?: string;
  force?: boolean;
  json?: boolean;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('generate a key pair for encryption (private key PEM written mode 0600, public key PEM)')
    .option('--type <rsa|ec>', 'key type', 'rsa')
    .option('--bits <n>', 'RSA key size: 2048, 3072 or 4096 (default 3072)', (v) => {
      if (!['2048', '3072', '4096'].includes(v)) throw new InvalidArgumentError('use 2048, 3072 or 4096');
      return Number(v);
    })
    .option('--curve <name>', 'EC curve: P-256 or P-384 (default P-256)')
    .option('-o, --output <name>', 'write NAME.key (private) and NAME.pub.pem (public)')
    .option('--private-key <file>', 'where to write the private key')
    .option('--public-key <file>', 'where to write the public key')
    .option('--force', 'overwrite existing files')
    .option('--json', 'print file names and fingerprint as JSON')
    .action(async (flags: KeygenFlags) => {
      const priv = flags.privateKey ?? (flags.output ? `${flags.output}.key` : undefined);
      const pub = flags.publicKey ?? (flags.output ? `${flags.output}.pub.pem` : undefined);
      if (!priv || !pub) throw new ImgsealError('INVALID_ARGUMENT', 'say where to write the keys: -o NAME, or --private-key FILE and --public-key FILE');
      let opts: KeyGenOptions;
      if (flags.type === 'rsa') {
        if (flags.curve) throw new ImgsealError('INVALID_ARGUMENT', '--curve is for --type ec');
        opts = { type: 'rsa', bits: (flags.bits ?? 3072) as 2048 | 3072 | 4096 };
      } else if (flags.type === 'ec') {
        if (flags.bits) throw new ImgsealError('INVALID_ARGUMENT', '--bits is for --type rsa');
        const curve = flags.curve ?? 'P-256';
        if (curve !== 'P-256' && curve !== 'P-384') throw new ImgsealError('INVALID_ARGUMENT', `unsupported curve "${curve}": use P-256 or P-384`);
        opts = { type: 'ec', curve };
      } else {
        throw new ImgsealError('INVALID_ARGUMENT', `unsupported key type "${flags.type}": use rsa or ec`);
      }
      const fingerprint = await writeKeyPair(priv, pub, await generateKeyPair(opts), { force: !!flags.force });
      const desc = opts.type === 'rsa' ? `RSA ${opts.bits}` : `EC ${opts.curve}`;
      if (flags.json) process.stdout.write(`${JSON.stringify({ type: desc, privateKey: priv, publicKey: pub, fingerprint }, null, 2)}\n`);
      else process.stdout.write(`${desc} key pair written:\n  private key: ${priv} (mode 0600)\n  public key:  ${pub}\n  fingerprint: ${fingerprint}\nEncrypt with: --encryption-key jwe:${pub}\n`);
    });
}
