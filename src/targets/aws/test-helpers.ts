import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BusEvent, findingEvent } from '../../bus/event.js';
import type { Finding } from '../../core/finding.js';
import type { DeliveryInput } from '../types.js';

/** The golden workshop findings (test/golden/workshop-findings.json). For tests only. */
export function workshopFindings(): Finding[] {
  const path = fileURLToPath(new URL('../../../test/golden/workshop-findings.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Finding[];
}

export function workshopFinding(type: string): Finding {
  const f = workshopFindings().find((x) => x.type === type);
  if (!f) throw new Error(`no workshop finding of type ${type}`);
  return structuredClone(f);
}

export const AT = Date.parse('2026-03-01T12:34:56.789Z');

export function eventOf(finding: Finding, id = '11111111-2222-3333-4444-555555555555'): BusEvent {
  return findingEvent(finding, AT, id);
}

export function inputOf(event: BusEvent, text?: string): DeliveryInput {
  return text === undefined ? { text: JSON.stringify(event), custom: false, event } : { text, custom: true, event };
}

/** An SDK-style service error (what `send` throws): name, fault, HTTP status. */
export function awsError(name: string, status: number, message = name): Error {
  const err = new Error(message) as Error & { $fault: string; $metadata: { httpStatusCode: number } };
  err.name = name;
  err.$fault = status >= 500 ? 'server' : 'client';
  err.$metadata = { httpStatusCode: status };
  return err;
}
