// Reads XML with a strict XML 1.0 parser (Python's expat, which pre-commit's Debian package
// brings along): a report a CI system would refuse fails here too, with the parser's message.
import { spawnSync } from 'node:child_process';

export interface XmlElement {
  readonly tag: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly text: string;
  readonly children: readonly XmlElement[];
}

const TO_JSON = `
import json, sys, xml.etree.ElementTree as ET
def tree(e):
    return {'tag': e.tag, 'attributes': dict(e.attrib), 'text': e.text or '', 'children': [tree(c) for c in e]}
try:
    print(json.dumps({'root': tree(ET.fromstring(sys.stdin.buffer.read()))}))
except ET.ParseError as err:
    print(json.dumps({'error': str(err)}))
`;

/** The document's root element; throws with the parser's message when the text is not well-formed XML. */
export function parseXml(text: string): XmlElement {
  const r = spawnSync('python3', ['-c', TO_JSON], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`python3 could not run: ${r.error?.message ?? r.stderr}`);
  const out = JSON.parse(r.stdout) as { root?: XmlElement; error?: string };
  if (!out.root) throw new Error(`not well-formed XML: ${out.error}`);
  return out.root;
}
