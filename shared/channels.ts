/** The messaging channels of a contact (API.md). Free of imports, so the SPA takes it without the schema's zod. */
export const CHANNELS = ['sms', 'whatsapp', 'rcs', 'email', 'webchat', 'messenger', 'instagram'] as const;
export type Channel = (typeof CHANNELS)[number];
