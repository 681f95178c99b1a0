import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { CONTINUE_EVENT, SCHEDULES, scheduleExpressionOf } from '../../functions/scheduled/schedules.js';
import { type FunctionDefaults, LambdaFunction } from './lambda-function.js';

export interface SchedulesProps {
  readonly table: ITable;
  readonly defaults: FunctionDefaults;
  /** Tenant settings that override a schedule's expression, by `setting.context` (e.g. `reconcileSchedule`). */
  readonly settings?: Readonly<Record<string, string | undefined>>;
}

/**
 * One function (`functions/scheduled/<name>.ts`) per entry of SCHEDULES and
 * an EventBridge rule firing it every `everyMinutes` minutes, or on its
 * expression (the tenant setting, else the default for the tenant's
 * timezone); a schedule with `continueEveryMinutes` gets a second rule that
 * hands it CONTINUE_EVENT, so a run longer than one invocation goes on from
 * its saved progress.
 */
export class Schedules extends Construct {
  public readonly handlers: Record<string, LambdaFunction> = {};
  public readonly rules: Record<string, Rule> = {};

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);

    for (const schedule of SCHEDULES) {
      const setting = schedule.setting ? props.settings?.[schedule.setting.context] : undefined;
      const expression = scheduleExpressionOf(schedule, props.defaults.timezone, setting);
      const period = schedule.everyMinutes ?? schedule.continueEveryMinutes ?? 15;
      const handler = new LambdaFunction(this, schedule.name, {
        entry: `functions/scheduled/${schedule.name}.ts`,
        defaults: props.defaults,
        description: `${schedule.everyMinutes !== undefined ? `Every ${schedule.everyMinutes} min` : expression}: ${schedule.description}`.slice(0, 256),
        // A run may take up to its own period (Lambda caps it at 15 minutes): at
        // most two runs of a schedule ever overlap.
        timeout: Duration.minutes(Math.min(period, 15)),
      });
      handler.bindTable({ table: props.table, access: 'readWrite' });
      this.handlers[schedule.name] = handler;

      this.rules[schedule.name] = new Rule(this, `${schedule.name}-rule`, {
        description: schedule.description.slice(0, 512),
        schedule: schedule.everyMinutes !== undefined ? Schedule.rate(Duration.minutes(schedule.everyMinutes)) : Schedule.expression(expression),
        // The next tick redoes the work, so a missed tick is not worth retrying for long.
        targets: [new LambdaTarget(handler, { retryAttempts: 2, maxEventAge: Duration.minutes(Math.max(period, 1)) })],
      });
      if (schedule.continueEveryMinutes !== undefined) {
        this.rules[`${schedule.name}-continue`] = new Rule(this, `${schedule.name}-continue-rule`, {
          description: `Continues an unfinished ${schedule.name} run from its saved progress (does nothing otherwise)`.slice(0, 512),
          schedule: Schedule.rate(Duration.minutes(schedule.continueEveryMinutes)),
          targets: [
            new LambdaTarget(handler, {
              event: RuleTargetInput.fromObject(CONTINUE_EVENT),
              retryAttempts: 2,
              maxEventAge: Duration.minutes(schedule.continueEveryMinutes),
            }),
          ],
        });
      }
    }
  }

  /** The function of a schedule named in SCHEDULES; throws when the name is unknown. */
  public handlerFor(name: string): LambdaFunction {
    const handler = this.handlers[name];
    if (!handler) throw new Error(`Schedules: no schedule named "${name}" in SCHEDULES`);
    return handler;
  }
}
