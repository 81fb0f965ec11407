/** `imgseal layerinfo IMAGE`: ctr-enc's table, or --json. */
import type { Command } from 'commander';
import { layerInfo, type LayerInfo } from '../../inspect/layerinfo.js';
import { parseImageName } from '../../transports/transports.js';
import { addTransportFlags, sourceContext, type TransportFlags } from '../context-flags.js';
import { addContentTrustFlags, trustedSource, type ContentTrustFlags } from '../content-trust.js';
import { collect, platforms } from '../options.js';

export function registerLayerinfo(program: Command): void {
  const cmd = program
    .command('layerinfo')
    .argument('<image>', 'image to describe, e.g. oci:dir:tag')
    .description('show each layer: digest, platform, size, encryption scheme and recipients (reads the manifest only)')
    .option('--platform <os/arch[/variant]>', 'only these platforms (repeatable)', collect)
    .option('--json', 'print JSON instead of a table');
  addTransportFlags(cmd, ['src']);
  addContentTrustFlags(cmd);
  cmd.action(async (image: string, flags: TransportFlags & ContentTrustFlags & { platform?: string[]; json?: boolean }) => {
    const context = sourceContext(flags);
    const rows = await layerInfo(await trustedSource(parseImageName(image), flags, context), { platforms: platforms(flags.platform), context });
    process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLayerTable(rows));
  });
}

/** ctr-enc's layout: right-aligned columns, three spaces apart; the free-text last column left-aligned. */
export function formatLayerTable(rows: LayerInfo[]): string {
  const table = [['#', 'DIGEST', 'PLATFORM', 'SIZE', 'ENCRYPTION', 'RECIPIENTS']];
  for (const r of rows) table.push([String(r.index), r.digest, r.platform, String(r.size), r.encryption.join(','), r.recipients.join(', ')]);
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n') + '\n';
}
