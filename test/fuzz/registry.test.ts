// Fuzzing the registry parsers (see test/fuzz/harness/target.ts for the property).
import { fuzzTests } from './harness/suite.js';

fuzzTests(['www-authenticate', 'link', 'auth-file']);
