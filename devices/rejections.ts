/**
 * Why a message was rejected. Stable codes: they appear in counters, in `/api/health`,
 * on the rejected topic and in docs/errors.md.
 */
export const REJECT_REASONS = {
  bad_json: 'payload is not valid JSON',
  bad_encoding: 'payload is not UTF-8 text',
  schema: 'payload does not match the schema for its topic',
  unit: 'a value lies outside the physical range of its canonical unit (wrong unit?)',
  metric_not_allowed: 'the device kind does not report this metric',
  unknown_device: 'no registered device publishes on this topic',
  unknown_site: 'the topic names a site that is not registered',
  unknown_topic: 'no adapter understands this topic',
  unsupported: 'a subscribed topic carries a device, layout or protocol deskprint does not read (the message names it and what to change)',
  oversize: 'payload is larger than the configured maximum',
  bad_timestamp: 'timestamp is invalid or too far in the future',
  duplicate: 'identical reading already received',
  unknown_member: 'check-in names a member that is not registered',
} as const;

export type RejectReason = keyof typeof REJECT_REASONS;
export const REJECT_REASON_KEYS = Object.keys(REJECT_REASONS) as RejectReason[];
