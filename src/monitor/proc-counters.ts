/**
 * Disk and network byte counters of this machine, read from Linux's /proc (no native code): whole
 * disks from /proc/diskstats (partitions, loop and RAM devices left out, so no byte counts twice) and
 * interfaces from /proc/net/dev (loopback left out: it is not the network). Off Linux the files are
 * absent and the counters read as undefined; the sampler then reports no disk or network figures.
 * The parsers are pure so that tests feed them recorded text.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Bytes moved since boot. */
export interface IoCounters {
  readonly diskReadBytes: number;
  readonly diskWriteBytes: number;
  readonly netReceiveBytes: number;
  readonly netTransmitBytes: number;
}

/** /proc/diskstats counts sectors of 512 bytes, whatever the device's own sector size. */
const SECTOR_BYTES = 512;
/** Devices that are not disks: loop mounts, RAM disks, compressed swap. */
const NOT_A_DISK = /^(loop|ram|zram|fd)\d*/;

/** Read and written bytes of the named whole disks, from /proc/diskstats text. */
export function parseDiskstats(
  text: string,
  wholeDisks: ReadonlySet<string>,
): { readonly readBytes: number; readonly writeBytes: number } {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    // major minor name reads merged sectorsRead msRead writes merged sectorsWritten ...
    const fields = line.trim().split(/\s+/);
    const name = fields[2];
    if (name === undefined || fields.length < 10 || !wholeDisks.has(name) || NOT_A_DISK.test(name)) continue;
    readBytes += Number(fields[5]) * SECTOR_BYTES;
    writeBytes += Number(fields[9]) * SECTOR_BYTES;
  }
  return { readBytes, writeBytes };
}

/** Received and transmitted bytes of every interface but loopback, from /proc/net/dev text. */
export function parseNetDev(text: string): { readonly receiveBytes: number; readonly transmitBytes: number } {
  let receiveBytes = 0;
  let transmitBytes = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo' || name.includes('|')) continue;
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes ...
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (fields.length < 9) continue;
    receiveBytes += Number(fields[0]);
    transmitBytes += Number(fields[8]);
  }
  return { receiveBytes, transmitBytes };
}

/** The whole disks of this machine (/sys/block lists disks, not partitions); empty off Linux. */
function wholeDisks(): ReadonlySet<string> {
  try {
    return new Set(readdirSync('/sys/block').filter((name) => !NOT_A_DISK.test(name)));
  } catch {
    return new Set();
  }
}

/** Reads the counters; undefined when /proc is not there (not Linux). */
export class IoCounterReader {
  private readonly disks = wholeDisks();

  read(): IoCounters | undefined {
    try {
      const disk = parseDiskstats(readFileSync('/proc/diskstats', 'utf8'), this.disks);
      const net = parseNetDev(readFileSync('/proc/net/dev', 'utf8'));
      return {
        diskReadBytes: disk.readBytes,
        diskWriteBytes: disk.writeBytes,
        netReceiveBytes: net.receiveBytes,
        netTransmitBytes: net.transmitBytes,
      };
    } catch {
      return undefined;
    }
  }
}
