import { bruteForceCases, bruteForceDetector } from './brute-force.js';

/**
 * RDP brute force seen in VPC Flow Logs: many short TCP connections to port 3389 between one remote address and the
 * instance. The instance is the TARGET (Low) or the ACTOR (High). Logic and thresholds in `brute-force.ts`.
 */
export const detector = bruteForceDetector({
  id: 'unauthorized-access-ec2-rdp-brute-force',
  findingType: 'UnauthorizedAccess:EC2/RDPBruteForce',
  port: 3389,
  service: 'RDP',
  summary: 'An EC2 instance has been involved in RDP brute force attacks (Low when it is the target, High when it is the actor).',
  cases: bruteForceCases(3389, 'RDP'),
});
