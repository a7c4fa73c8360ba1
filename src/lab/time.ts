/** The lab's two date formats, shared by its services, its IMDS and its trail writer. */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * ISO 8601 in UTC without milliseconds (`2024-08-02T08:23:55Z`): CloudTrail's `eventTime` and session creation date,
 * and the dates of IAM, STS and IMDS answers.
 */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `Aug 1, 2024, 11:45:22 AM` (UTC): how CloudTrail writes dates inside `responseElements`. */
export function cloudTrailDate(d: Date): string {
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${mm}:${ss} ${h < 12 ? 'AM' : 'PM'}`;
}
