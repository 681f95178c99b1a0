import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { SCHEDULES } from '../../functions/scheduled/schedules.js';
import { type FunctionDefaults, LambdaFunction } from './lambda-function.js';

export interface SchedulesProps {
  readonly table: ITable;
  readonly defaults: FunctionDefaults;
}

/**
 * One EventBridge rule and one function (`functions/scheduled/<name>.ts`) per
 * entry of SCHEDULES, fired every `everyMinutes` minutes.
 */
export class Schedules extends Construct {
  public readonly handlers: Record<string, LambdaFunction> = {};
  public readonly rules: Record<string, Rule> = {};

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);

    for (const schedule of SCHEDULES) {
      const handler = new LambdaFunction(this, schedule.name, {
        entry: `functions/scheduled/${schedule.name}.ts`,
        defaults: props.defaults,
        description: `Every ${schedule.everyMinutes} min: ${schedule.description}`.slice(0, 256),
        // A run may take up to its own period (Lambda caps it at 15 minutes): at
        // most two runs of a schedule ever overlap.
        timeout: Duration.minutes(Math.min(schedule.everyMinutes, 15)),
      });
      handler.bindTable({ table: props.table, access: 'readWrite' });
      this.handlers[schedule.name] = handler;

      this.rules[schedule.name] = new Rule(this, `${schedule.name}-rule`, {
        description: schedule.description.slice(0, 512),
        schedule: Schedule.rate(Duration.minutes(schedule.everyMinutes)),
        // The next tick redoes the work, so a missed tick is not worth retrying for long.
        targets: [new LambdaTarget(handler, { retryAttempts: 2, maxEventAge: Duration.minutes(Math.max(schedule.everyMinutes, 1)) })],
      });
    }
  }

  /** The function of a schedule named in SCHEDULES; throws when the name is unknown. */
  public handlerFor(name: string): LambdaFunction {
    const handler = this.handlers[name];
    if (!handler) throw new Error(`Schedules: no schedule named "${name}" in SCHEDULES`);
    return handler;
  }
}
