import { Duration, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { LambdaFunction } from './lambda-function.js';

export interface MessagingProps {
  readonly tenant: string;
  /** How long dispatch events are archived for replay. @default Duration.days(30) */
  readonly archiveRetention?: Duration;
}

/**
 * Outbound dispatches: the contacts API puts "send this message" events on a
 * tenant bus; the messaging platform's integration subscribes with its own
 * rules. The archive keeps them for replay while no consumer is attached.
 */
export class Messaging extends Construct {
  public readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'DispatchBus', {
      eventBusName: `${Stack.of(this).stackName}-dispatches`,
      description: `Outbound message dispatches of tenant ${props.tenant}`,
    });
    this.bus.archive('DispatchArchive', {
      description: `Dispatches of tenant ${props.tenant}, kept for replay`,
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.archiveRetention ?? Duration.days(30),
    });
  }

  /** Sets EVENT_BUS_NAME and allows events:PutEvents on the bus. */
  public bindPublisher(fn: LambdaFunction): void {
    fn.addEnvironment('EVENT_BUS_NAME', this.bus.eventBusName);
    this.bus.grantPutEventsTo(fn);
  }
}
