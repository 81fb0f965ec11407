// Fuzzing the archive parsers (see test/fuzz/harness/target.ts for the property).
import { fuzzTests } from './harness/suite.js';

fuzzTests(['tar', 'docker-manifest-json']);
