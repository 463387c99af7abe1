/**
 * GPU utilisation and memory through `nvidia-smi` (Azure's resource monitor does the same), when the
 * node has it: `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` prints one line per GPU. On a
 * machine without it the sampler says so once (`unavailable`) and never runs it again.
 */
import { execFile } from 'node:child_process';

/** One GPU's sample. */
export interface GpuSample {
  readonly index: number;
  readonly name: string;
  /** Percent of time a kernel ran over nvidia-smi's last sample period. */
  readonly utilizationPercent: number;
  readonly memoryUsedMiB: number;
  readonly memoryTotalMiB: number;
}

/** The fields asked of nvidia-smi, in the order parseNvidiaSmi reads them. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,utilization.gpu,memory.used,memory.total',
  '--format=csv,noheader,nounits',
] as const;

/** nvidia-smi's CSV (no header, no units) as samples; lines that do not parse are skipped. */
export function parseNvidiaSmi(text: string): GpuSample[] {
  const samples: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 5) continue;
    // A GPU name may hold commas: the first field is the index, the last three are numbers.
    const index = Number(fields[0]);
    const [utilization, used, total] = fields.slice(-3).map(Number) as [number, number, number];
    if (!Number.isInteger(index)) continue;
    samples.push({
      index,
      name: fields.slice(1, -3).join(','),
      // "[N/A]" (a GPU that does not report it) reads as NaN: say 0 rather than write NaN.
      utilizationPercent: Number.isFinite(utilization) ? utilization : 0,
      memoryUsedMiB: Number.isFinite(used) ? used : 0,
      memoryTotalMiB: Number.isFinite(total) ? total : 0,
    });
  }
  return samples;
}

/** What a GPU sample found: samples, or why there are none. */
export type GpuReading =
  | { readonly kind: 'samples'; readonly gpus: readonly GpuSample[] }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Runs nvidia-smi (or the given command) per sample; remembers that it is absent. */
export class GpuSampler {
  private unavailable: string | undefined;

  constructor(private readonly command: string = 'nvidia-smi') {}

  sample(): Promise<GpuReading> {
    if (this.unavailable !== undefined) return Promise.resolve({ kind: 'unavailable', reason: this.unavailable });
    return new Promise((resolve) => {
      execFile(this.command, [...NVIDIA_SMI_ARGS], { timeout: 10_000 }, (error, stdout) => {
        if (error === null) {
          resolve({ kind: 'samples', gpus: parseNvidiaSmi(stdout) });
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        // Not installed: say so for good. Any other failure (a driver hiccup) may pass: try again next time.
        const reason = code === 'ENOENT' ? `${this.command} not found on this node: no GPU samples` : error.message;
        if (code === 'ENOENT') this.unavailable = reason;
        resolve({ kind: 'unavailable', reason });
      });
    });
  }
}
