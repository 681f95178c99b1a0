import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { config } from './config.js';

export interface OutboundDispatch {
  id: string;
  contactId: string;
  channel: string;
  text: string;
  to: { phone?: string; email?: string };
  at: string;
}

type Sink = (dispatch: OutboundDispatch) => Promise<void>;

let eventBridge: EventBridgeClient | undefined;
let localSink: Sink | undefined;

/**
 * Hands a queued dispatch to the messaging platform: an EventBridge event in
 * AWS; locally the host registers a sink (the channel simulator).
 */
export async function publishDispatch(dispatch: OutboundDispatch): Promise<void> {
  const { eventBusName, region } = config();
  if (eventBusName) {
    eventBridge ??= new EventBridgeClient({ region });
    await eventBridge.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: eventBusName, Source: 'contacts.dispatch', DetailType: 'DispatchQueued', Detail: JSON.stringify(dispatch) }],
      }),
    );
    return;
  }
  await localSink?.(dispatch);
}

export function setOutboundSink(sink: Sink | undefined): void {
  localSink = sink;
}
