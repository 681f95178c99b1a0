import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { config } from './config.js';
import { definePort } from './runtime.js';

export interface OutboundDispatch {
  id: string;
  contactId: string;
  channel: string;
  text: string;
  to: { phone?: string; email?: string };
  at: string;
}

/** Where queued dispatches go to the messaging platform. */
export interface DispatchSink {
  publish(dispatch: OutboundDispatch): Promise<void>;
}

/** A `DispatchQueued` event on the tenant's bus, which the messaging platform's integration subscribes to. */
function eventBridgeSink(eventBusName: string): DispatchSink {
  let eventBridge: EventBridgeClient | undefined;
  return {
    async publish(dispatch) {
      // Loaded on first use: only sending a message needs it, not every cold start of the contacts API.
      const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
      eventBridge ??= new EventBridgeClient({ region: config().region });
      await eventBridge.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: eventBusName, Source: 'contacts.dispatch', DetailType: 'DispatchQueued', Detail: JSON.stringify(dispatch) }],
        }),
      );
    },
  };
}

const dispatches = definePort('dispatches', (env) => eventBridgeSink(env.EVENT_BUS_NAME));

/** Hands a queued dispatch to the messaging platform: the event bus in AWS, the local host's sink (the channel simulator) locally. */
export async function publishDispatch(dispatch: OutboundDispatch): Promise<void> {
  await dispatches().publish(dispatch);
}
