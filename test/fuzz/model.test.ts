// Fuzzing the image model's parsers (see test/fuzz/harness/target.ts for the property).
import { fuzzTests } from './harness/suite.js';

fuzzTests(['manifest', 'config', 'descriptor', 'digest']);
