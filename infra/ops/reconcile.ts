import { logger } from '../../functions/lib/logger.js';
import { runReconcile, type ReconcileSummary } from '../../functions/reconcile/reconcile.js';
import { connectLocalStack, OpsError, parseArgs, runCommand } from './local-stack.js';

/**
 * `npm run reconcile [-- --settle-seconds 15 --take-over --json --verbose]`: runs the
 * scheduled reconciliation (functions/reconcile/) now, against the running
 * local stack, to the end, and prints its summary. A run in progress (the
 * schedule's, or one interrupted) is continued rather than a new one started.
 */
export function formatSummary(summary: ReconcileSummary): string {
  const kinds = Object.keys(summary.repaired) as (keyof ReconcileSummary['repaired'])[];
  const lines = [
    `Reconciliation ${summary.runId}: ${summary.startedAt} -> ${summary.finishedAt} (${summary.chunks} chunks)`,
    `checked: ${summary.checked.contacts} contacts, ${summary.checked.counterItems} counter items, ${summary.checked.states} activity states, ${summary.checked.aggregateItems} aggregate items`,
    ...kinds.map((kind) => `  ${kind}: ${summary.repaired[kind]} repaired, ${summary.unsettled[kind]} unsettled`),
    `details: ${Object.entries(summary.details).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  for (const [kind, examples] of Object.entries(summary.examples)) for (const example of examples) lines.push(`  e.g. ${kind}: ${example}`);
  return lines.join('\n');
}

runCommand(async () => {
  const args = parseArgs(process.argv.slice(2));
  // The summary is printed below; the function's structured log line only with --verbose.
  if (args.verbose !== true) logger.setLogLevel('WARN');
  const info = connectLocalStack(typeof args['data-dir'] === 'string' ? args['data-dir'] : undefined);
  const settle = args['settle-seconds'] === undefined ? undefined : Number(args['settle-seconds']);
  if (settle !== undefined && !(settle >= 0)) throw new OpsError('--settle-seconds takes a number of seconds');
  console.error(`Reconciling table ${info.tableName} of the local stack at ${info.baseUrl}...`);
  const result = await runReconcile({ trigger: 'npm run reconcile', takeOver: args['take-over'] === true, ...(settle !== undefined ? { settleMs: settle * 1000 } : {}) });
  if (result.status === 'busy') {
    throw new OpsError(`run ${result.runId} is in progress elsewhere (its lease lasts until ${new Date(result.leaseUntil).toISOString()}); if nothing runs it any more, pass --take-over`);
  }
  if (result.status !== 'finished') throw new OpsError(`the run stopped: ${JSON.stringify(result)}`);
  console.log(args.json ? JSON.stringify(result.summary, null, 2) : formatSummary(result.summary));
});
