/**
 * Azure ML binding expressions: `${{ parent.inputs.x }}`, `${{inputs.x}}`, `${{outputs.y}}`,
 * `${{parent.jobs.s.outputs.o}}`, and optional segments `$[[ … ]]` that disappear when an input
 * inside them has no value. Pure string work: the callers decide what a reference resolves to.
 */

/** One `${{ … }}` expression anywhere in a string; group 1 is the trimmed expression. */
const EXPRESSION = /\$\{\{\s*(.*?)\s*\}\}/g;
/** One `$[[ … ]]` optional segment; group 1 is its content. */
const OPTIONAL_SEGMENT = /\$\[\[(.*?)\]\]/gs;

/** What an expression refers to, by scope. */
export type Reference =
  | { readonly scope: 'parent'; readonly kind: 'inputs' | 'outputs'; readonly name: string }
  | {
      readonly scope: 'parent';
      readonly kind: 'jobs';
      readonly step: string;
      /** Which side of the step: an output (a DAG edge) or an input (its value, copied). */
      readonly io: 'inputs' | 'outputs';
      readonly name: string;
    }
  | { readonly scope: 'self'; readonly kind: 'inputs' | 'outputs'; readonly name: string };

const NAME = String.raw`[A-Za-z_][\w-]*`;
const PARENT_IO = new RegExp(`^parent\\.(inputs|outputs)\\.(${NAME})$`);
const PARENT_JOB_IO = new RegExp(`^parent\\.jobs\\.(${NAME})\\.(inputs|outputs)\\.(${NAME})$`);
const SELF_IO = new RegExp(`^(inputs|outputs)\\.(${NAME})$`);

/** Parses the inside of `${{ … }}`; undefined when it is none of the supported forms. */
export function parseReference(expression: string): Reference | undefined {
  const text = expression.trim();
  let match = PARENT_IO.exec(text);
  if (match) return { scope: 'parent', kind: match[1] as 'inputs' | 'outputs', name: match[2] as string };
  match = PARENT_JOB_IO.exec(text);
  if (match) {
    const io = match[2] as 'inputs' | 'outputs';
    return { scope: 'parent', kind: 'jobs', step: match[1] as string, io, name: match[3] as string };
  }
  match = SELF_IO.exec(text);
  if (match) return { scope: 'self', kind: match[1] as 'inputs' | 'outputs', name: match[2] as string };
  return undefined;
}

/**
 * When `value` is exactly one expression (surrounding whitespace allowed), its trimmed inside;
 * otherwise undefined. Bindings of inputs, outputs, `input_data` and `append_row_to` must be whole.
 */
export function wholeExpression(value: string): string | undefined {
  const match = /^\s*\$\{\{\s*(.*?)\s*\}\}\s*$/s.exec(value);
  if (!match || (match[1] as string).includes('}}')) return undefined;
  return match[1];
}

/** True when `value` contains at least one `${{ … }}` expression. */
export function hasExpression(value: string): boolean {
  return /\$\{\{.*?\}\}/s.test(value);
}

/**
 * How one expression resolves: a value to splice in, `absent` for an optional input given no value,
 * or a message saying why it cannot resolve.
 */
export type Resolution =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'error'; readonly message: string };

/** The expanded text and one message per expression that could not resolve. */
export interface Expansion {
  readonly text: string;
  readonly problems: readonly string[];
}

/**
 * Replaces every `${{ … }}` in `template` with what `resolve` returns. A `$[[ … ]]` segment keeps
 * its content (expanded) when every expression in it has a value and is dropped entirely when one is
 * `absent`; an `absent` expression outside such a segment is a problem, since nothing can stand in.
 */
export function expandTemplate(template: string, resolve: (expression: string) => Resolution): Expansion {
  const problems: string[] = [];
  const expand = (text: string, inOptionalSegment: boolean): string | undefined => {
    let absent = false;
    const out = text.replace(EXPRESSION, (whole, expression: string) => {
      const resolution = resolve(expression);
      if (resolution.kind === 'value') return resolution.value;
      if (resolution.kind === 'error') {
        problems.push(resolution.message);
      } else if (inOptionalSegment) {
        absent = true;
      } else {
        problems.push(
          `${whole} has no value (an optional input that is not given); wrap it in $[[ … ]] to drop it when missing`,
        );
      }
      return '';
    });
    return absent ? undefined : out;
  };
  // Optional segments first, so that an absent input inside one is not reported as a problem.
  const withSegments = template.replace(OPTIONAL_SEGMENT, (_whole, content: string) => expand(content, true) ?? '');
  return { text: expand(withSegments, false) ?? '', problems };
}

/** The names of the `${{inputs.x}}` inside `$[[ … ]]` segments of `template`. */
export function inputsInOptionalSegments(template: string): string[] {
  const names: string[] = [];
  for (const segment of template.matchAll(OPTIONAL_SEGMENT)) {
    for (const expression of (segment[1] as string).matchAll(EXPRESSION)) {
      const reference = parseReference(expression[1] as string);
      if (reference?.scope === 'self' && reference.kind === 'inputs') names.push(reference.name);
    }
  }
  return names;
}
