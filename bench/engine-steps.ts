// The longest stretch the engine holds the event loop for one large review: with a work budget
// of 0 ms every step (listing containers, each rule, deriving the patch, measuring it) runs in
// its own turn, so the longest gap between two pauses is the longest step. In-process, the
// default policy without registry rules; medians, fastest and slowest of BENCH_ROUNDS + 4 runs.
import { handleReview } from '../src/admission/handle.js';
import { WorkBudget } from '../src/admission/work-budget.js';
import { compilePolicy } from '../src/policy/compile.js';
import { loadPolicyFile } from '../src/policy/load.js';
import { RULES } from '../src/rules/index.js';
import { largeReview, type LargeKind } from '../test/fixtures/large-objects.js';

export async function engineSteps(sizes: readonly number[], rounds: number): Promise<string[]> {
  const policy = compilePolicy(
    loadPolicyFile().policy,
    RULES.filter((rule) => !rule.needsRegistry),
  );
  const lines: string[] = [];
  for (const kind of ['Pod', 'Deployment'] as LargeKind[]) {
    for (const endpoint of ['validate', 'mutate'] as const) {
      for (const n of sizes) {
        const text = JSON.stringify(largeReview(kind, n));
        const longest: number[] = [];
        for (let i = 0; i < rounds + 4; i++) {
          const review = JSON.parse(text) as unknown;
          const marks = [performance.now()];
          const work = new WorkBudget({
            sliceMs: 0,
            endsAt: Infinity,
            onPause: () => marks.push(performance.now()),
          });
          await handleReview(review, endpoint, { policy, work });
          marks.push(performance.now());
          // The first run warms the JIT up and is not counted.
          if (i > 0) longest.push(Math.max(...marks.slice(1).map((m, j) => m - marks[j]!)));
        }
        longest.sort((a, b) => a - b);
        const median = longest[Math.floor(longest.length / 2)]!;
        lines.push(
          `  ${`${kind} ×${n} /${endpoint}`.padEnd(28)} longest step: median ${median.toFixed(0).padStart(4)} ms, ` +
            `${longest[0]!.toFixed(0)}–${longest.at(-1)!.toFixed(0)} ms`,
        );
      }
    }
  }
  return lines;
}
