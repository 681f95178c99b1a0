import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  wallMs: number;
  /** This Node process (the local stack's HTTP host, handlers and stream poller, and the bench's client). */
  nodeMs: number;
  /** DynamoDB Local's Java process; NaN where /proc cannot be read. */
  dynamoMs: number;
}

function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export function cpuSnapshot(dynamoPid: number | undefined): CpuSnapshot {
  const own = process.cpuUsage();
  return { wallMs: performance.now(), nodeMs: (own.user + own.system) / 1000, dynamoMs: processCpuMs(dynamoPid) };
}

/** CPU time spent since `from`, in ms, and the cores it kept busy on average. */
export function cpuSince(from: CpuSnapshot, dynamoPid: number | undefined): { wallMs: number; nodeMs: number; dynamoMs: number; coresBusy: number } {
  const now = cpuSnapshot(dynamoPid);
  const wallMs = now.wallMs - from.wallMs;
  const nodeMs = now.nodeMs - from.nodeMs;
  const dynamoMs = now.dynamoMs - from.dynamoMs;
  return { wallMs, nodeMs, dynamoMs, coresBusy: (nodeMs + dynamoMs) / wallMs };
}
