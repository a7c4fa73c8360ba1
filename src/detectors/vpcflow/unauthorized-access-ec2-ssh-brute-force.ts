import { bruteForceCases, bruteForceDetector } from './brute-force.js';

/**
 * SSH brute force seen in VPC Flow Logs: many short TCP connections to port 22 (only port 22, as GuardDuty) between
 * one remote address and the instance. The instance is the TARGET (Low) or the ACTOR (High). Logic and thresholds in
 * `brute-force.ts`.
 */
export const detector = bruteForceDetector({
  id: 'unauthorized-access-ec2-ssh-brute-force',
  findingType: 'UnauthorizedAccess:EC2/SSHBruteForce',
  port: 22,
  service: 'SSH',
  summary: 'An EC2 instance has been involved in SSH brute force attacks (Low when it is the target, High when it is the actor).',
  cases: bruteForceCases(22, 'SSH'),
});
