// What a rule owns besides its code: the JSON Schema of its `rules.<id>` settings (the policy
// schema assembles every rule's, policy/schema.ts) and the words that document them. The
// policy file, its schema and the docs' tables are generated from these (`npm run generate`),
// so a rule's settings and their documentation live beside the code that reads them.
export type RuleAction = 'deny' | 'warn' | 'off';

/** The `action` setting every rule has: deny, warn or off, with the rule's default. */
export const actionSetting = <Fallback extends RuleAction>(fallback: Fallback) =>
  ({
    type: 'string',
    enum: ['deny', 'warn', 'off'],
    default: fallback,
    description: 'deny rejects the request (in enforce mode), warn only warns, off skips the rule',
  }) as const;

/** The schema of one rule's settings: an object with defaults throughout and an `action`. */
export interface SettingsSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly default: Readonly<Record<string, never>>;
  readonly description?: string;
  readonly properties: {
    readonly action: {
      readonly type: 'string';
      readonly enum: readonly RuleAction[];
      readonly default: RuleAction;
    };
    readonly [setting: string]: object;
  };
}

/** How one setting is documented; `properties` documents the keys of an object setting. */
export interface SettingDoc {
  /** Comment lines written above the key in policies/default.yaml. */
  readonly above?: readonly string[];
  /** Comment written after the value on the key's line in policies/default.yaml. */
  readonly inline?: string;
  /** The settings table's "meaning" cell (markdown); object settings document their keys instead. */
  readonly meaning?: string;
  readonly properties?: Readonly<Record<string, SettingDoc>>;
}

export interface RuleDocs {
  /** The rules table's "what it catches" cell (markdown, one line). */
  readonly catches: string;
  /** Comment lines above the rule's settings in policies/default.yaml: what it judges, and why. */
  readonly policy: readonly string[];
  /** Every setting, `action` included, by key. */
  readonly settings: Readonly<Record<string, SettingDoc>>;
}
