import { ct } from '../case-helpers.js';
import { actorText } from '../common.js';
import type { Detector } from '../types.js';
import { principalHit, requestParams, succeeded } from './account-tampering.js';

const TYPE = 'Stealth:IAMUser/PasswordPolicyChange';

/**
 * The account password policy was deleted (Medium) or changed (Low; Medium when the new policy is weak:
 * minimum length under 8, or no character-class requirement at all).
 */
export const stealthIamUserPasswordPolicyChange: Detector = {
  meta: {
    id: 'stealth-iam-user-password-policy-change',
    findingType: TYPE,
    severity: 2,
    dataSource: 'CloudTrail management events',
    summary: 'The account password policy was weakened or deleted.',
    aggregation: 'type, account, region',
    eventNames: ['UpdateAccountPasswordPolicy', 'DeleteAccountPasswordPolicy'],
  },
  evaluate(e) {
    if (e.source !== 'iam.amazonaws.com' || !succeeded(e)) return undefined;
    const rp = requestParams(e);
    const deleted = e.name === 'DeleteAccountPasswordPolicy';
    const minLength = Number(rp.minimumPasswordLength ?? 6);
    const requiresAny = ['requireSymbols', 'requireNumbers', 'requireUppercaseCharacters', 'requireLowercaseCharacters'].some((k) => rp[k] === true);
    const weak = deleted || minLength < 8 || !requiresAny;
    return principalHit(
      e,
      TYPE,
      weak ? 5 : 2,
      'Account password policy was weakened.',
      deleted
        ? `The account password policy was deleted by ${actorText(e)}.`
        : `The account password policy was changed by ${actorText(e)} (minimum length ${minLength}${requiresAny ? '' : ', no character requirements'}).`,
      {},
      [],
    );
  },
  cases: [
    { name: 'policy deleted', expect: 1, records: [ct({ eventName: 'DeleteAccountPasswordPolicy', readOnly: false })] },
    {
      name: 'policy changed',
      expect: 1,
      records: [ct({ eventName: 'UpdateAccountPasswordPolicy', readOnly: false, requestParameters: { minimumPasswordLength: 6 } })],
    },
    { name: 'reading the policy', expect: 0, records: [ct({ eventName: 'GetAccountPasswordPolicy' })] },
    { name: 'denied', expect: 0, records: [ct({ eventName: 'DeleteAccountPasswordPolicy', errorCode: 'AccessDenied' })] },
  ],
};
