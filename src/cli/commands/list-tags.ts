/** `imgseal list-tags docker://HOST/REPO`: every tag of a repository, as skopeo list-tags prints them. */
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import { DockerReference, listTags } from '../../transports/docker/index.js';
import { parseImageName } from '../../transports/transports.js';
import { addTransportFlags, sourceContext, type TransportFlags } from '../context-flags.js';

export function registerListTags(program: Command): void {
  const cmd = program
    .command('list-tags')
    .argument('<repository>', 'docker://HOST[:PORT]/REPO (a tag or digest in it is ignored)')
    .description('list the tags of a registry repository as JSON (like skopeo list-tags)');
  addTransportFlags(cmd, ['src']);
  cmd.action(async (name: string, flags: TransportFlags) => {
    const ref = parseImageName(name);
    if (!(ref instanceof DockerReference)) {
      throw new ImgsealError('INVALID_ARGUMENT', `list-tags works on docker:// repositories, not ${ref.transport.name}:`);
    }
    const list = await listTags(ref, sourceContext(flags));
    process.stdout.write(`${JSON.stringify(list, null, 4)}\n`);
  });
}
