// Fuzzing the parsers that came with content trust, PKCS#11, key providers, PKCS#7,
// OpenPGP, the node decoder and signatures (see test/fuzz/harness/target.ts).
import { fuzzTests } from './harness/suite.js';

fuzzTests(['tuf-metadata', 'pkcs11-files', 'keyprovider-config', 'pkcs7', 'pgp', 'decoder-payload', 'stored-signature']);
