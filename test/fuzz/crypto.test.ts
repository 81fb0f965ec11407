// Fuzzing the crypto parsers (see test/fuzz/harness/target.ts for the property).
import { fuzzTests } from './harness/suite.js';

fuzzTests(['annotations', 'cipher-options', 'jwe']);
