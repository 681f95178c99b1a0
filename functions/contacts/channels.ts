import { CHANNELS, type Channel } from '../../shared/contact-schema.js';
import { deleteChannel, putChannelStatus, type ChannelStatus } from '../data/channel.js';
import { NotFoundError, ValidationError } from '../lib/errors.js';
import { getContact, getProfile } from './contact-service.js';

/** A contact's channel states: subscribe, unsubscribe, forget. */
function parseChannel(channel: string): Channel {
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    throw new ValidationError({ channel: `must be one of ${CHANNELS.join(', ')}` });
  }
  return channel as Channel;
}

export async function setSubscription(contactId: string, channelName: string, status: ChannelStatus) {
  const channel = parseChannel(channelName);
  if (!(await putChannelStatus(contactId, channel, status, new Date().toISOString()))) throw new NotFoundError('contact');
  return getProfile(contactId);
}

export async function removeChannel(contactId: string, channelName: string): Promise<void> {
  const channel = parseChannel(channelName);
  await getContact(contactId);
  await deleteChannel(contactId, channel);
}
