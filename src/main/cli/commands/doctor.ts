// `diffscope doctor [--json]`: the machine, each execution provider (tried for real, with what is
// missing and the command that installs it), and what each model in the catalog needs.
import type { DoctorReport } from '../../../shared/api.ts';
import { withBackend } from '../backend.ts';

const gb = (n: number | null) => (n === null ? 'unknown' : `${(n / 1e9).toFixed(1)} GB`);

export function formatDoctor(r: DoctorReport): string {
  const m = r.machine;
  const lines = [
    `machine   ${m.platform}, ${m.cores} cores, ${m.cpu}`,
    `memory    ${gb(m.freeMemoryBytes)} free of ${gb(m.totalMemoryBytes)}`,
    `disk      ${gb(m.freeDiskBytes)} free at ${m.dataDir}`,
    '',
    'execution providers',
    ...r.providers.map((p) => `  ${p.available ? 'yes' : 'no '} ${p.name.padEnd(7)} ${p.detail}${p.install && !p.available ? `\n              install: ${p.install}` : ''}`),
    '',
  ];
  if (r.models.length === 0) lines.push('models    none yet: diffscope import model DIR');
  else {
    lines.push('models (loads at its imported precision; needs weights + packed copies + 4k-token KV cache + runtime)');
    for (const f of r.models) {
      lines.push(`  ${f.id}  ${f.precision}, ${gb(f.weightBytes)} of weights, needs ~${gb(f.memoryNeededBytes)}${f.fitsNow ? '' : ' (more than is free now)'}`);
      lines.push(`      auto would import it as ${f.autoReason}`);
      lines.push(
        f.preparedBytes > 0
          ? `      packed for this CPU: ${gb(f.preparedBytes)} on disk, mapped by every load`
          : '      not yet packed for this CPU: the next CPU load packs the weights and saves them (once)',
      );
    }
  }
  return lines.join('\n');
}

export async function doctorCommand(values: { json?: boolean }): Promise<void> {
  const report = await withBackend((b) => b.requests.app.doctor());
  console.log(values.json ? JSON.stringify(report) : formatDoctor(report));
}
