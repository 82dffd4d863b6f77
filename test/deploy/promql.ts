// PromQL read with Prometheus' own grammar (lezer-promql, what its web UI parses with): syntax
// errors, and every series selector with its label matchers.
import { parser } from '@prometheus-io/lezer-promql';

export interface Selector {
  readonly metric: string;
  readonly matchers: readonly { label: string; op: string; value: string }[];
}

/** Offsets of syntax errors in `expr` (none: it parses). */
export function syntaxErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

export function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name !== 'VectorSelector') return;
      const metric = node.node.getChild('Identifier');
      const matchers = node.node
        .getChild('LabelMatchers')
        ?.getChildren('UnquotedLabelMatcher')
        .map((m) => ({
          label: expr.slice(m.getChild('LabelName')!.from, m.getChild('LabelName')!.to),
          op: expr.slice(m.getChild('MatchOp')!.from, m.getChild('MatchOp')!.to),
          value: JSON.parse(
            expr.slice(m.getChild('StringLiteral')!.from, m.getChild('StringLiteral')!.to),
          ) as string,
        }));
      found.push({ metric: metric ? expr.slice(metric.from, metric.to) : '', matchers: matchers ?? [] });
    },
  });
  return found;
}
