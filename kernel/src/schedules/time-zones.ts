/** Returns whether Intl accepts `timeZone` as an IANA time zone name (such as `Europe/Berlin`) or `UTC`. */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
