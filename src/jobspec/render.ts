/**
 * Renders a step's `command` or `program_arguments` template: `${{inputs.x}}` and `${{outputs.y}}`
 * become values, `$[[ … ]]` segments drop out when an optional input inside has no value. Pure; the
 * compiler renders with this run's paths and checks the references, bindStepInputs renders again
 * once upstream paths are known.
 */
import { quote } from 'shlex';

import { expandTemplate, type Expansion, parseReference, type Resolution } from './bindings.js';
import type { CompiledInput, CompiledOutput } from './model.js';

/** What an input name stands for in a template. */
export type TemplateInput =
  | { readonly state: 'value'; readonly input: CompiledInput }
  /** An optional input given no value: drops its `$[[ … ]]` segment. */
  | { readonly state: 'absent' }
  /** An input whose own error is already reported: renders as nothing, no second message. */
  | { readonly state: 'invalid' };

/** How values are spliced in: `command` keeps literals as written (Azure), `program_arguments` quotes all. */
export type QuoteStyle = 'paths' | 'all';

export interface TemplateScope {
  /** The step's input by name; undefined = not declared (an error). */
  readonly input: (name: string) => TemplateInput | undefined;
  /** The step's output path by name; undefined = not declared (an error). */
  readonly output: (name: string) => string | undefined;
  /** Names for "the step's inputs are: …" messages. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Which field is rendered, for messages: "command" or "program_arguments". */
  readonly field: string;
}

function listed(names: readonly string[]): string {
  return names.join(', ') || '(none)';
}

/** Renders `template` (see the module comment); `problems` names each reference that cannot resolve. */
export function renderTemplate(template: string, scope: TemplateScope, style: QuoteStyle): Expansion {
  const quotePath = (path: string): Resolution => ({ kind: 'value', value: quote(path) });
  return expandTemplate(template, (expression): Resolution => {
    const reference = parseReference(expression);
    if (reference?.scope !== 'self') {
      return {
        kind: 'error',
        message: `\${{${expression}}} cannot be used here; ${scope.field} can use \${{inputs.<name>}} and \${{outputs.<name>}}`,
      };
    }
    if (reference.kind === 'outputs') {
      const path = scope.output(reference.name);
      if (path === undefined) {
        return {
          kind: 'error',
          message: `\${{${expression}}}: unknown output "${reference.name}"; the step's outputs are: ${listed(scope.outputNames)}`,
        };
      }
      return quotePath(path);
    }
    const bound = scope.input(reference.name);
    if (bound === undefined) {
      return {
        kind: 'error',
        message: `\${{${expression}}}: unknown input "${reference.name}"; the step's inputs are: ${listed(scope.inputNames)}`,
      };
    }
    if (bound.state === 'invalid') return { kind: 'value', value: '' };
    if (bound.state === 'absent') return { kind: 'absent' };
    if (bound.input.kind === 'data') return quotePath(bound.input.path);
    return { kind: 'value', value: style === 'all' ? quote(bound.input.value) : bound.input.value };
  });
}

/**
 * A scope over compiled inputs and outputs. `absentNames` are declared inputs without a value; at run
 * time (the template was checked when compiled) any name not among the inputs is taken as absent.
 */
export function compiledTemplateScope(
  inputs: readonly CompiledInput[],
  outputs: readonly CompiledOutput[],
  field: string,
): TemplateScope {
  const byName = new Map(inputs.map((input) => [input.name, input]));
  const outputPaths = new Map(outputs.map((output) => [output.name, output.path]));
  return {
    input: (name) => {
      const input = byName.get(name);
      return input === undefined ? { state: 'absent' } : { state: 'value', input };
    },
    output: (name) => outputPaths.get(name),
    inputNames: [...byName.keys()],
    outputNames: [...outputPaths.keys()],
    field,
  };
}
