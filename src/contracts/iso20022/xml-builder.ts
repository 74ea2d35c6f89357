/**
 * A small XML builder for ISO 20022 messages. Elements are plain values; text is escaped once, at
 * rendering, so a caller can never forget to escape a name or a remittance line, nor escape twice.
 * Characters XML 1.0 cannot carry (control characters, lone surrogates) are dropped, because a
 * document that does not parse would be refused whole by the network.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlChild[];
}

/** An element, or text (escaped at rendering). */
export type XmlChild = XmlElement | string;

/** What `el` accepts as children: absent optional parts (`undefined`, `null`, `false`) are skipped. */
export type XmlContent = XmlChild | readonly XmlContent[] | undefined | null | false;

/** `el('MsgId', id)`, `el('GrpHdr', el(...), el(...))`, `el('Amt', { Ccy: 'EUR' }, '10.00')`. */
export function el(name: string, ...content: XmlContent[]): XmlElement;
export function el(name: string, attributes: Record<string, string>, ...content: XmlContent[]): XmlElement;
export function el(name: string, ...rest: unknown[]): XmlElement {
  const first = rest[0];
  const hasAttributes = first !== null && typeof first === 'object' && !Array.isArray(first) && !isElement(first);
  const attributes = hasAttributes ? (first as Record<string, string>) : {};
  const children = flatten((hasAttributes ? rest.slice(1) : rest) as XmlContent[]);
  return { name, attributes, children };
}

/** The document with its XML declaration, UTF-8, no insignificant whitespace. */
export function renderXmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderElement(root)}\n`;
}

export function renderElement(element: XmlElement): string {
  const attributes = Object.entries(element.attributes)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
  if (element.children.length === 0) return `<${element.name}${attributes}/>`;
  const inner = element.children.map((child) => (typeof child === 'string' ? escapeXml(child) : renderElement(child))).join('');
  return `<${element.name}${attributes}>${inner}</${element.name}>`;
}

/** Escapes text and attribute values, and drops characters XML 1.0 does not allow. */
export function escapeXml(text: string): string {
  return text.replace(notXmlChars, '').replace(/[&<>"']/g, (char) => entities[char]!);
}

/**
 * Cuts `text` to at most `maxChars` characters as XSD counts them (code points, not UTF-16 units),
 * after dropping what XML cannot carry and trimming; returns undefined when nothing is left.
 */
export function fitText(text: string | null | undefined, maxChars: number): string | undefined {
  if (text === null || text === undefined) return undefined;
  const cleaned = text.replace(notXmlChars, '').trim();
  if (cleaned.length === 0) return undefined;
  return Array.from(cleaned).slice(0, maxChars).join('').trim() || undefined;
}

/** Splits `text` into pieces of at most `maxChars` code points (e.g. remittance lines of 140). */
export function splitText(text: string | null | undefined, maxChars: number): string[] {
  if (text === null || text === undefined) return [];
  const chars = Array.from(text.replace(notXmlChars, '').trim());
  const pieces: string[] = [];
  for (let start = 0; start < chars.length; start += maxChars) {
    const piece = chars.slice(start, start + maxChars).join('');
    if (piece.trim().length > 0) pieces.push(piece);
  }
  return pieces;
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
const notXmlChars =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function isElement(value: unknown): value is XmlElement {
  return typeof value === 'object' && value !== null && 'name' in value && 'children' in value && 'attributes' in value;
}

function flatten(content: readonly XmlContent[]): XmlChild[] {
  const children: XmlChild[] = [];
  for (const item of content) {
    if (item === undefined || item === null || item === false) continue;
    if (Array.isArray(item)) children.push(...flatten(item as readonly XmlContent[]));
    else children.push(item as XmlChild);
  }
  return children;
}
