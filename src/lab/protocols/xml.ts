/** XML in and out for the lab's Query and REST-XML answers (fast-xml-parser). */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
/** Request bodies nest no deeper than this (the lab's inputs need 3; see json.ts MAX_INPUT_DEPTH for why it matters). */
const MAX_NESTED_TAGS = 16;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  maxNestedTags: MAX_NESTED_TAGS,
});

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** One XML document from an object: attributes as `@_name`, repeated elements as arrays, undefined left out. */
export function buildXml(root: Record<string, unknown>): string {
  return XML_DECLARATION + builder.build(root);
}

/** A list in AWS's XML: `{ member: [...] }` (IAM) or `{ item: [...] }` (EC2). */
export function members<T>(items: T[]): { member: T[] } {
  return { member: items };
}

export function items<T>(list: T[]): { item: T[] } {
  return { item: list };
}

export class XmlSyntaxError extends Error {}

/** Parses an XML body; XmlSyntaxError when it is not well-formed. Text values stay strings. */
export function parseXml(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlSyntaxError(valid.err.msg);
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new XmlSyntaxError((err as Error).message);
  }
}
