import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * Reading ISO 20022 XML with fast-xml-parser: namespace prefixes removed, every value kept as the
 * exact string it was (amounts and identifiers must never pass through a JavaScript number), and
 * attributes under `@name`. Repeating elements that our code reads as lists are listed in
 * `arrayElements`, so a list of one is still a list.
 */
export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[] | undefined;

const arrayElements = new Set(['CdtTrfTxInf', 'TxInfAndSts', 'OrgnlGrpInfAndSts', 'StsRsnInf', 'AddtlInf', 'Ustrd', 'Stmt', 'Ntry', 'NtryDtls', 'TxDtls', 'Bal']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  textNodeName: '#text',
  ignoreDeclaration: true,
  processEntities: true,
  isArray: (name) => arrayElements.has(name),
});

export class XmlReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlReadError';
  }
}

/** Whether `xml` is well-formed; an error message when it is not. */
export function wellFormedness(xml: string): { ok: true } | { ok: false; error: string } {
  const result = XMLValidator.validate(xml);
  if (result === true) return { ok: true };
  return { ok: false, error: `line ${result.err.line}: ${result.err.msg}` };
}

export function readXml(xml: string): XmlNode {
  const check = wellFormedness(xml);
  if (!check.ok) throw new XmlReadError(`not well-formed XML: ${check.error}`);
  return parser.parse(xml) as XmlNode;
}

/** The element at `path` (names separated by `/`), or undefined. Lists resolve to their first item. */
export function child(node: XmlValue, path: string): XmlNode | undefined {
  let current: XmlNode | undefined = asNode(node);
  for (const name of path.split('/')) {
    if (current === undefined) return undefined;
    current = asNode(current[name]);
  }
  return current;
}

/** Every element named by the last step of `path` (always a list); text-only elements as `{ '#text': ... }`. */
export function children(node: XmlValue, path: string): XmlNode[] {
  const value = valueAt(node, path);
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((item) => (typeof item === 'string' ? { '#text': item } : asNode(item) ?? {}));
}

/** The text of the element at `path`, or undefined. */
export function text(node: XmlValue, path: string): string | undefined {
  let value = valueAt(node, path);
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'string') return value;
  const textNode = asNode(value)?.['#text'];
  return typeof textNode === 'string' ? textNode : undefined;
}

/** The text of the element at `path`; throws `XmlReadError` naming the path when it is missing. */
export function requiredText(node: XmlValue, path: string): string {
  const value = text(node, path);
  if (value === undefined || value === '') throw new XmlReadError(`missing ${path}`);
  return value;
}

function valueAt(node: XmlValue, path: string): XmlValue {
  const steps = path.split('/');
  const last = steps.pop()!;
  const parent = steps.length > 0 ? child(node, steps.join('/')) : asNode(node);
  return parent?.[last];
}

/** A value as an element: the first of a list; undefined for text or nothing. */
function asNode(value: XmlValue): XmlNode | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== undefined && typeof first === 'object' && !Array.isArray(first) ? first : undefined;
}

/** An attribute of the element at `path`. */
export function attribute(node: XmlValue, path: string, name: string): string | undefined {
  const element = child(node, path);
  const value = element?.[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}
