import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
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
    // Loaded on first use: only sending a message needs it, not every cold start of the contacts API.
    const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
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
