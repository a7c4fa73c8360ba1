import { discoveryS3MaliciousIpCallerCustom } from './cloudtrail/discovery-s3-malicious-ip-caller-custom.js';
import { penTestIamUserKaliLinux } from './cloudtrail/pen-test-iam-user-kali-linux.js';
import { penTestIamUserParrotLinux } from './cloudtrail/pen-test-iam-user-parrot-linux.js';
import { penTestIamUserPentooLinux } from './cloudtrail/pen-test-iam-user-pentoo-linux.js';
import { policyIamUserRootCredentialUsage } from './cloudtrail/policy-iam-user-root-credential-usage.js';
import { policyS3AccountBlockPublicAccessDisabled } from './cloudtrail/policy-s3-account-block-public-access-disabled.js';
import { policyS3BucketAnonymousAccessGranted } from './cloudtrail/policy-s3-bucket-anonymous-access-granted.js';
import { policyS3BucketBlockPublicAccessDisabled } from './cloudtrail/policy-s3-bucket-block-public-access-disabled.js';
import { policyS3BucketPublicAccessGranted } from './cloudtrail/policy-s3-bucket-public-access-granted.js';
import { reconIamUserMaliciousIpCallerCustom } from './cloudtrail/recon-iam-user-malicious-ip-caller-custom.js';
import { stealthIamUserCloudTrailLoggingDisabled } from './cloudtrail/stealth-iam-user-cloud-trail-logging-disabled.js';
import { stealthIamUserPasswordPolicyChange } from './cloudtrail/stealth-iam-user-password-policy-change.js';
import { stealthS3ServerAccessLoggingDisabled } from './cloudtrail/stealth-s3-server-access-logging-disabled.js';
import { unauthorizedAccessIamUserInstanceCredentialExfiltrationInsideAws } from './cloudtrail/unauthorized-access-iam-user-instance-credential-exfiltration-inside-aws.js';
import { unauthorizedAccessIamUserInstanceCredentialExfiltrationOutsideAws } from './cloudtrail/unauthorized-access-iam-user-instance-credential-exfiltration-outside-aws.js';
import { unauthorizedAccessIamUserMaliciousIpCallerCustom } from './cloudtrail/unauthorized-access-iam-user-malicious-ip-caller-custom.js';
import { unauthorizedAccessS3MaliciousIpCallerCustom } from './cloudtrail/unauthorized-access-s3-malicious-ip-caller-custom.js';
import type { Detector } from './types.js';

/** Every detector, in one explicit list. Adding a detector = adding its module and one line here. */
export const DETECTORS: readonly Detector<any>[] = [
  unauthorizedAccessIamUserInstanceCredentialExfiltrationOutsideAws,
  unauthorizedAccessIamUserInstanceCredentialExfiltrationInsideAws,
  reconIamUserMaliciousIpCallerCustom,
  unauthorizedAccessIamUserMaliciousIpCallerCustom,
  discoveryS3MaliciousIpCallerCustom,
  unauthorizedAccessS3MaliciousIpCallerCustom,
  stealthS3ServerAccessLoggingDisabled,
  policyS3BucketBlockPublicAccessDisabled,
  policyS3AccountBlockPublicAccessDisabled,
  policyS3BucketAnonymousAccessGranted,
  policyS3BucketPublicAccessGranted,
  stealthIamUserCloudTrailLoggingDisabled,
  stealthIamUserPasswordPolicyChange,
  policyIamUserRootCredentialUsage,
  penTestIamUserKaliLinux,
  penTestIamUserParrotLinux,
  penTestIamUserPentooLinux,
];
