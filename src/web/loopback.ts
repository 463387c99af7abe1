/** True for 127.0.0.0/8, ::1 and `localhost`: only this machine can connect. */
import { isIP } from 'node:net';

export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}
