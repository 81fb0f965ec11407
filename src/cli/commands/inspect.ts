/** `imgseal inspect IMAGE`: JSON like skopeo inspect; --raw, --config. */
import type { Command } from 'commander';
import { imageConfig, inspectImage, rawManifest } from '../../inspect/inspect.js';
import { parsePlatform } from '../../model/platform.js';
import { parseImageName } from '../../transports/transports.js';
import { addTransportFlags, sourceContext, type TransportFlags } from '../context-flags.js';
import { addContentTrustFlags, trustedSource, type ContentTrustFlags } from '../content-trust.js';

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .argument('<image>', 'image to inspect, e.g. docker://host/repo:tag or oci:dir:tag')
    .description('print an image\'s digest, platform, layers and labels as JSON (like skopeo inspect)')
    .option('--raw', 'print the manifest (or index) exactly as stored')
    .option('--config', 'print the image config')
    .option('--platform <os/arch[/variant]>', 'for an index: which image to describe (default: this machine\'s platform)');
  addTransportFlags(cmd, ['src']);
  addContentTrustFlags(cmd);
  cmd.action(async (image: string, flags: TransportFlags & ContentTrustFlags & { raw?: boolean; config?: boolean; platform?: string }) => {
    const context = sourceContext(flags);
    const ref = await trustedSource(parseImageName(image), flags, context);
    const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
    if (flags.raw) {
      process.stdout.write(await rawManifest(ref, context));
      return;
    }
    const out = flags.config ? await imageConfig(ref, { context, ...(platform ? { platform } : {}) }) : await inspectImage(ref, { context, ...(platform ? { platform } : {}) });
    process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
  });
}
