// Fuzzing the keys parsers (see test/fuzz/harness/target.ts for the property).
import { fuzzTests } from './harness/suite.js';

fuzzTests(['decryption-key', 'recipient']);
