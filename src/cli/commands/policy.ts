/** `imgseal policy check IMAGE`: the policy's verdict for an image (per platform for an index); exit 0 accepted, 1 rejected. */
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import { checkImagePolicy } from '../../policy/index.js';
import { parseImageName } from '../../transports/transports.js';
import { addTransportFlags, sourceContext, type TransportFlags } from '../context-flags.js';
import { addPolicyFlags, registriesDirOf, sourcePolicy, type PolicyFlags } from '../signature-flags.js';

interface CheckFlags extends TransportFlags, PolicyFlags {
  json?: boolean;
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('signature policy (policy.json) tools');
  const check = policy
    .command('check')
    .argument('<image>', 'image to judge, e.g. docker://host/repo:tag')
    .option('--json', 'print the verdicts as JSON')
    .description('say whether the policy accepts an image, and why (exit 0 accepted, 1 rejected)');
  addPolicyFlags(check);
  addTransportFlags(check, ['src']);
  check.action(async (name: string, flags: CheckFlags) => {
    const ref = parseImageName(name);
    const pol = await sourcePolicy(flags, (m) => process.stderr.write(`warning: ${m}\n`));
    const registriesDir = registriesDirOf(flags);
    const verdicts = await checkImagePolicy(ref, pol, { ...sourceContext(flags), ...(registriesDir ? { registriesDir } : {}) });
    if (flags.json) process.stdout.write(`${JSON.stringify({ image: ref.toString(), policy: pol.policy.source, verdicts }, null, 2)}\n`);
    else {
      for (const v of verdicts) {
        const who = v.platform ? `${ref.toString()} (${v.platform}, ${v.digest})` : `${ref.toString()} (${v.digest})`;
        process.stdout.write(v.accepted ? `accepted: ${who} by ${v.scope} [${v.requirements.join(', ')}]\n` : `rejected: ${who} by ${v.scope}: ${v.reason}\n`);
      }
    }
    const bad = verdicts.find((v) => !v.accepted);
    if (bad) throw new ImgsealError('POLICY_REJECTED', `Source image rejected: ${bad.reason ?? 'rejected by policy'}`);
  });
}
