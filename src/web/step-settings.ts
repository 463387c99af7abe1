/**
 * A parallel step's settings as Studio's Settings → Run settings → Parallel shows them: every setting
 * with the value in force and where it came from — the step's YAML, a predefined program argument
 * (`--error_threshold 5` in task.program_arguments), the pipeline's settings (default_compute), a
 * component the step uses, or the default.
 * Pure: the compiled step gives the values, the submitted YAML (parsed) tells the sources.
 */
import type { CompiledParallelStep, CompiledStep } from '../jobspec/model.js';
import type { SettingSource, SettingView } from './api-types.js';

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The step's own mapping in the submitted YAML: the whole file for a standalone job, `jobs.<name>`
 * in a pipeline; undefined for a step inside a pipeline component (its keys live in the component).
 */
export function stepMapping(spec: unknown, stepName: string): Mapping | undefined {
  if (!isMapping(spec)) return undefined;
  if (!isMapping(spec.jobs)) return spec;
  if (stepName.includes('/')) return undefined;
  const step = spec.jobs[stepName];
  return isMapping(step) ? step : undefined;
}

function has(mapping: Mapping | undefined, path: readonly string[]): boolean {
  let at: unknown = mapping;
  for (const key of path) {
    if (!isMapping(at) || !(key in at)) return false;
    at = at[key];
  }
  return true;
}

/** Where a setting came from: its YAML key, else its program argument, else a component, else the default. */
function sourceOf(
  mapping: Mapping | undefined,
  yamlPath: readonly string[] | undefined,
  argument: string | undefined,
  step: CompiledParallelStep,
): SettingSource {
  const component = mapping?.component;
  if (yamlPath !== undefined && (has(mapping, yamlPath) || (isMapping(component) && has(component, yamlPath))))
    return 'YAML';
  if (argument !== undefined && step.task.programArguments.includes(argument)) return 'program argument';
  // A component file or registered component may set it: its values are compiled in, its keys not here.
  if (mapping === undefined || typeof component === 'string') return 'component';
  return 'default';
}

const seconds = (ms: number) => `${ms / 1000} s`;

/** A step's compute: its own key, else the pipeline's settings.default_compute, else the default. */
function computeSource(spec: unknown, mapping: Mapping | undefined): SettingSource {
  if (has(mapping, ['compute'])) return 'YAML';
  if (isMapping(spec) && has(spec, ['settings', 'default_compute'])) return 'pipeline settings';
  return mapping === undefined || typeof mapping.component === 'string' ? 'component' : 'default';
}

/** Every parallel setting with its value in force and its source (see the module comment). */
export function parallelSettings(step: CompiledParallelStep, spec: unknown): SettingView[] {
  const mapping = stepMapping(spec, step.name);
  const p = step.predefined;
  const rows: [string, string, readonly string[] | undefined, string | undefined][] = [
    ['mini_batch_size', step.miniBatchSize?.text ?? '10 files, or 1 MB of a table', ['mini_batch_size'], undefined],
    ['partition_keys', step.partitionKeys?.join(', ') ?? '(none)', ['partition_keys'], undefined],
    ['resources.instance_count', String(step.instanceCount), ['resources', 'instance_count'], undefined],
    [
      'max_concurrency_per_instance',
      step.maxConcurrencyPerInstance === undefined ? "the node's cores" : String(step.maxConcurrencyPerInstance),
      ['max_concurrency_per_instance'],
      undefined,
    ],
    ['retry_settings.max_retries', String(step.maxRetries), ['retry_settings', 'max_retries'], undefined],
    ['retry_settings.timeout', seconds(step.runTimeoutMs), ['retry_settings', 'timeout'], undefined],
    ['mini_batch_error_threshold', String(step.miniBatchErrorThreshold), ['mini_batch_error_threshold'], undefined],
    ['error_threshold', String(p.errorThreshold), ['error_threshold'], '--error_threshold'],
    ['allowed_failed_percent', `${p.allowedFailedPercent}%`, undefined, '--allowed_failed_percent'],
    ['task_overhead_timeout', seconds(p.taskOverheadTimeoutMs), undefined, '--task_overhead_timeout'],
    ['progress_update_timeout', seconds(p.progressUpdateTimeoutMs), undefined, '--progress_update_timeout'],
    ['first_task_creation_timeout', seconds(p.firstTaskCreationTimeoutMs), undefined, '--first_task_creation_timeout'],
    ['resource_monitor_interval', seconds(p.resourceMonitorIntervalMs), undefined, '--resource_monitor_interval'],
    ['logging_level', step.loggingLevel, ['logging_level'], undefined],
    ['compute', step.compute, ['compute'], undefined],
  ];
  return rows.map(([name, value, yamlPath, argument]) => ({
    name,
    value,
    source: name === 'compute' ? computeSource(spec, mapping) : sourceOf(mapping, yamlPath, argument, step),
  }));
}

/** The settings of any step: a command step's few, or a parallel step's. */
export function stepSettings(step: CompiledStep, spec: unknown): SettingView[] {
  if (step.kind === 'parallel') return parallelSettings(step, spec);
  const mapping = stepMapping(spec, step.name);
  const source = (path: readonly string[]): SettingSource =>
    has(mapping, path)
      ? 'YAML'
      : mapping === undefined || typeof mapping.component === 'string'
        ? 'component'
        : 'default';
  return [
    { name: 'command', value: step.command, source: source(['command']) },
    {
      name: 'limits.timeout',
      value: step.timeoutMs === undefined ? '(none)' : seconds(step.timeoutMs),
      source: source(['limits', 'timeout']),
    },
    { name: 'compute', value: step.compute, source: computeSource(spec, mapping) },
  ];
}
