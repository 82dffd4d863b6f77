// The same few images arrive in review after review (every replica of every rollout), so what a
// policy concluded about an image string is kept, per policy (or per rule configuration, which
// is made once per policy). Bounded in entries (when full, it starts over) and in key length:
// a hostile megabyte image string is judged every time, never kept.
const MAX_ENTRIES = 4096;
const MAX_KEY_LENGTH = 512;

export class ImageMemo<Owner extends object, Value> {
  readonly #byOwner = new WeakMap<Owner, Map<string, Value>>();

  /** `judge()`'s value for this image under this owner, judged once. */
  get(owner: Owner, image: string, judge: () => Value): Value {
    if (image.length > MAX_KEY_LENGTH) return judge();
    let memo = this.#byOwner.get(owner);
    if (!memo) this.#byOwner.set(owner, (memo = new Map()));
    if (memo.has(image)) return memo.get(image)!;
    if (memo.size >= MAX_ENTRIES) memo.clear();
    const value = judge();
    memo.set(image, value);
    return value;
  }
}
