// What kubectl makes of an unquoted YAML scalar. kubectl turns YAML into JSON with
// sigs.k8s.io/yaml, whose copy of go-yaml v2 resolves plain scalars by YAML 1.1 habits: `off`,
// `yes`, `y` are booleans, and anything Go's number parsers take is a number once every `_` is
// dropped (`0o17`, `0b101`, `012`, `1_000`, `08`, `1e3`). The `yaml` package reads YAML 1.2 (core
// schema), where most of these are strings, and its 'yaml-1.1' schema is no closer: it reads
// `1:20` and `2001-12-14` as a number and a date, `0o17` and `1e999` as strings; kubectl does the
// opposite. So this is a port of resolve() itself:
// https://github.com/kubernetes-sigs/yaml/blob/master/goyaml.v2/resolve.go
// test/cli/kubectl-scalar.test.ts holds what a real kubectl made of each form.

/** The JSON value kubectl sends for a scalar; a non-finite number makes kubectl refuse the file. */
export type KubectlValue = string | number | boolean | null;

const WORDS = new Map<string, KubectlValue>();
const words = (value: KubectlValue, list: string) => list.split(' ').forEach((w) => WORDS.set(w, value));
words(true, 'y Y yes Yes YES true True TRUE on On ON');
words(false, 'n N no No NO false False FALSE off Off OFF');
words(null, '~ null Null NULL');
WORDS.set('', null);
words(NaN, '.nan .NaN .NAN');
words(Infinity, '.inf .Inf .INF +.inf +.Inf +.INF');
words(-Infinity, '-.inf -.Inf -.INF');

// strconv.ParseFloat on a scalar that starts with '.': Go's float syntax, `_` between digits.
const DOT_FLOAT = /^\.\d(?:_?\d)*(?:[eE][-+]?\d(?:_?\d)*)?$/;
// strconv.ParseInt / ParseUint with base 0: 0x, 0o, 0b, a leading 0 for octal, else decimal.
const GO_INT = /^([-+]?)(0[xX][\da-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9]\d*)$/;
// go-yaml's yamlStyleFloat: digits with an optional fraction and exponent.
const YAML_FLOAT = /^[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?$/;
// The fallback for Go versions whose ParseInt did not know 0b: a sign may follow the prefix.
const BINARY_FALLBACK = /^(-?)0b([-+]?)([01]+)$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function goInt(text: string): number | undefined {
  const m = GO_INT.exec(text);
  if (!m) return undefined;
  const [, sign, digits] = m as unknown as [string, string, string];
  const octal = digits.length > 1 && /^0[0-7]/.test(digits) ? `0o${digits.slice(1)}` : digits;
  const value = sign === '-' ? -BigInt(octal) : BigInt(octal);
  const fits = (value >= INT64_MIN && value <= INT64_MAX) || (sign === '' && value <= UINT64_MAX);
  return fits ? Number(value) : undefined;
}

function goBinary(text: string): number | undefined {
  const m = BINARY_FALLBACK.exec(text);
  if (!m) return undefined;
  const [, minus, sign, digits] = m as unknown as [string, string, string, string];
  if (minus && sign) return undefined; // "-0b-1": ParseInt("--1") fails
  const value = BigInt(`0b${digits}`) * (minus || sign === '-' ? -1n : 1n);
  const max = minus || sign ? INT64_MAX : UINT64_MAX; // only "0b" + digits is tried with ParseUint
  return value >= INT64_MIN && value <= max ? Number(value) : undefined;
}

/**
 * The value kubectl reads from an unquoted scalar's text: a string unless go-yaml v2 resolves it.
 * Integers past 64 bits in hex, octal or binary stay strings, as in kubectl 1.32 (sigs.k8s.io/yaml
 * 1.4); later copies of resolve() read them as numbers.
 */
export function kubectlScalar(text: string): KubectlValue {
  const word = WORDS.get(text);
  if (word !== undefined) return word;
  const first = text[0]!;
  if (first === '.') {
    const value = DOT_FLOAT.test(text) ? Number(text.replace(/_/g, '')) : NaN;
    return Number.isFinite(value) ? value : text; // ParseFloat refuses an overflow: a string
  }
  if (!/[-+\d]/.test(first)) return text;
  // Timestamps (2001-12-14) come back as strings when read into an interface{}: nothing to do.
  const plain = text.replace(/_/g, '');
  const int = goInt(plain);
  if (int !== undefined) return int;
  if (YAML_FLOAT.test(plain) && Number.isFinite(Number(plain))) return Number(plain);
  return goBinary(plain) ?? text;
}
