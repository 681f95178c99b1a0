import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createApiKey, verifyApiKey } from '../../functions/events/api-keys.js';
import type { OutboundDispatch } from '../../functions/lib/outbound.js';
import type { MessageStatus } from '../../shared/engagement.js';

/**
 * Plays the messaging platform on this machine: each queued dispatch
 * (sendMessage -> publishDispatch -> this sink) is answered later with the
 * status events a real channel would send, posted to `POST /v1/events`
 * with an API key of its own, so the dispatch report and the profile move
 * like they do in production.
 */
export interface ChannelSimulatorOptions {
  /** Multiplies every delay; 0 answers at once (tests). @default 1 */
  speed?: number;
  random?: () => number;
  /** Decides the statuses of a dispatch instead of the channel's odds (tests). */
  plan?: (dispatch: OutboundDispatch) => MessageStatus[];
  /** Keeps the simulator's API key across restarts instead of creating one each start. */
  keyFile?: string;
  log?: (line: string) => void;
}

interface Odds {
  delivered: number;
  /** Of the delivered: read (opened). */
  read?: number;
  /** Of the read: clicked. */
  clicked?: number;
  /** Of the delivered: replied. */
  replied?: number;
  /** Seconds until the read, for this channel's habits. */
  readAfter: [number, number];
}

const ODDS: Record<string, Odds> = {
  sms: { delivered: 0.93, replied: 0.08, readAfter: [5, 20] },
  whatsapp: { delivered: 0.96, read: 0.72, clicked: 0.18, replied: 0.22, readAfter: [3, 15] },
  rcs: { delivered: 0.9, read: 0.6, clicked: 0.14, readAfter: [4, 20] },
  email: { delivered: 0.97, read: 0.38, clicked: 0.12, readAfter: [10, 45] },
};

/** The statuses a dispatch gets on its channel, by that channel's odds. */
export function planFor(channel: string, random: () => number): MessageStatus[] {
  const odds = ODDS[channel];
  if (!odds) return ['sent'];
  if (random() >= odds.delivered) return ['sent', 'failed'];
  const statuses: MessageStatus[] = ['sent', 'delivered'];
  const read = odds.read !== undefined && random() < odds.read;
  if (read) statuses.push('read');
  if (read && odds.clicked !== undefined && random() < odds.clicked) statuses.push('clicked');
  if (odds.replied !== undefined && random() < odds.replied) statuses.push('replied');
  return statuses;
}

export class ChannelSimulator {
  private baseUrl?: string;
  private apiKey?: string;
  private ready: Promise<void>;
  private markReady!: () => void;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private seq = 0;

  constructor(private readonly options: ChannelSimulatorOptions = {}) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /** The outbound sink for startLocalStack({ outbound }). */
  readonly sink = async (dispatch: OutboundDispatch): Promise<void> => {
    if (this.stopped) return;
    const random = this.options.random ?? Math.random;
    const statuses = this.options.plan?.(dispatch) ?? planFor(dispatch.channel, random);
    const speed = this.options.speed ?? 1;
    const readAfter = ODDS[dispatch.channel]?.readAfter ?? [5, 20];
    let delay = 0;
    for (const status of statuses) {
      const seconds =
        status === 'sent' ? 0.3 + random() : status === 'delivered' || status === 'failed' ? 0.5 + 2 * random() : status === 'read' ? readAfter[0] + (readAfter[1] - readAfter[0]) * random() : 2 + 10 * random();
      delay += seconds * 1000 * speed;
      this.schedule(delay, () => this.post(dispatch, status));
    }
  };

  /** Gets an API key (a saved one when still valid) and starts posting to the stack. */
  async connect(baseUrl: string): Promise<void> {
    this.baseUrl = baseUrl;
    const saved = this.options.keyFile && existsSync(this.options.keyFile) ? readFileSync(this.options.keyFile, 'utf8').trim() : undefined;
    if (saved && (await verifyApiKey(saved))) this.apiKey = saved;
    else {
      this.apiKey = (await createApiKey({ name: 'Channel simulator (local)' }, 'channel-simulator')).key;
      if (this.options.keyFile) writeFileSync(this.options.keyFile, this.apiKey, { mode: 0o600 });
    }
    this.markReady();
  }

  /** Resolves when every status scheduled so far has been posted. */
  async idle(): Promise<void> {
    while (this.timers.size > 0 || this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(delayMs: number, work: () => Promise<void>) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = work().finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }, delayMs);
    this.timers.add(timer);
  }

  private async post(dispatch: OutboundDispatch, status: MessageStatus): Promise<void> {
    await this.ready;
    if (this.stopped) return;
    const event = {
      id: `sim-${dispatch.id}-${status}-${this.seq++}`,
      type: 'message.status',
      at: new Date().toISOString(),
      contactId: dispatch.contactId,
      messageId: dispatch.id,
      channel: dispatch.channel,
      status,
      broadcast: false,
    };
    try {
      const response = await fetch(`${this.baseUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': this.apiKey! },
        body: JSON.stringify({ events: [event] }),
      });
      if (response.status !== 202) this.options.log?.(`channel simulator: ${status} for ${dispatch.id} answered ${response.status}`);
    } catch (error) {
      this.options.log?.(`channel simulator: ${(error as Error).message}`);
    }
  }
}
