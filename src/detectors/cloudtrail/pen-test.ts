import type { ApiEvent } from '../../core/event.js';
import { actorText } from '../common.js';
import type { Hit } from '../types.js';
import { principalHit } from './account-tampering.js';

/**
 * The three PenTest detectors: the user agent names a penetration-testing distribution. botocore and the
 * AWS CLI put `platform.release()` in the user agent, and these distributions' kernels carry their name
 * (`Linux/6.6.9-amd64-kali`, `...-parrot1-amd64`, `...-pentoo`).
 */
export function penTestHit(e: ApiEvent, pattern: RegExp, distro: string, type: string): Hit | undefined {
  if (!e.userAgent || !pattern.test(e.userAgent) || e.principal.type === 'AWSService') return undefined;
  return principalHit(
    e,
    type,
    5,
    `API ${e.name} was invoked from a ${distro} Linux computer.`,
    `API ${e.name} was invoked by ${actorText(e)} from a computer running ${distro} Linux, a penetration testing distribution.`,
  );
}
