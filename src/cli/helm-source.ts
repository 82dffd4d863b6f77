// `helm template` writes `# Source: CHART/templates/FILE.yaml` above every document it renders.
// Findings in rendered output point at lines of a stream nobody edits: this comment names the
// template a person fixes, so JSON, SARIF and JUnit can point there instead.
import type { Document } from 'yaml';

const SOURCE_COMMENT = /^ ?Source: (\S.*?)\s*$/m;

/** The template a rendered document came from, when Helm said so in the comment above it. */
export function helmSource(doc: Document): string | undefined {
  // The yaml package keeps a comment directly above the first key on the contents node, and one
  // set apart from it by a blank line (or above an empty document) on the document itself.
  const contents = doc.contents as { commentBefore?: string | null } | null;
  for (const comment of [doc.commentBefore, contents?.commentBefore]) {
    const match = comment ? SOURCE_COMMENT.exec(comment) : null;
    if (match) return match[1];
  }
  return undefined;
}
