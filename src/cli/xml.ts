// Just enough XML to write a JUnit report: escaped text and attributes, and nothing a strict
// parser refuses (XML 1.0 has no place for most control characters or lone surrogates).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(value: string): string {
  return value.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value: quotes escaped, line breaks and tabs as references (a parser would fold them). */
export function xmlAttribute(value: string | number): string {
  return xmlText(String(value))
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

export type Attributes = Readonly<Record<string, string | number | undefined>>;

/** `<name a="…">`: undefined attributes left out. */
export function openTag(name: string, attributes: Attributes): string {
  const attrs = Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${xmlAttribute(value!)}"`)
    .join('');
  return `<${name}${attrs}>`;
}

/** `<name a="…">children</name>`, or `<name a="…"/>` without children. */
export function element(name: string, attributes: Attributes, children: readonly string[] = []): string {
  const open = openTag(name, attributes);
  return children.length ? `${open}${children.join('')}</${name}>` : `${open.slice(0, -1)}/>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
