/**
 * A job as the SDK holds it: the plain Azure CLI v2 YAML document, whether it was loaded from a file
 * (`loadJob`) or built in code (`pipeline(...)`), and the folder its relative paths resolve against.
 * Compiling goes through the YAML text and the one compiler (src/jobspec), so a job built in code
 * and the same job loaded from YAML give the same model and the same error messages.
 */
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { stringify } from 'yaml';

import { SpecError, SpecErrors } from '../errors.js';
import type { AssetResolver } from '../jobspec/assets/resolver.js';
import { compileJobSpec, readJobText } from '../jobspec/load.js';
import type { CompiledJob } from '../jobspec/model.js';
import { YamlSource } from '../jobspec/yaml-source.js';
import { ValidationError } from './errors.js';

/**
 * The run directory used to compile a job only to validate it, when no real one is known yet:
 * default output paths depend on it, and nothing is written there.
 */
export const PROVISIONAL_RUN_DIR = join(tmpdir(), 'parajob-validate');

/**
 * A job document as YAML text: no line folding (long commands stay on one line), and no anchors and
 * aliases (a component used by two steps is written out at each).
 */
export function yamlText(document: Record<string, unknown>): string {
  return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Options of {@link Job.compile}. */
export interface CompileJobOptions {
  /** Absolute run directory the model's default paths go under. @default PROVISIONAL_RUN_DIR */
  readonly runDir?: string;
  /** Registered components, data assets and datastores (`azureml:` references). @default none */
  readonly assets?: AssetResolver;
}

/** Where a job's document came from. */
export interface JobSource {
  /**
   * Absolute path the YAML stands for: the file it was loaded from, or (for a job built in code) a
   * file name in the base folder, so that relative paths resolve as they would from a YAML file there.
   */
  readonly specPath: string;
  /** How errors name a job built in code (its virtual `specPath` is no file); undefined: loaded. */
  readonly builtInCode?: string;
  /** The file's text, for a loaded job: compiled as it is, so errors give the file's own lines. */
  readonly text?: string;
}

/**
 * A job: the YAML document plus where it came from. `toYaml()` is valid Azure CLI v2 YAML; writing it
 * into the job's base folder and loading it again gives the same model.
 */
export class Job {
  /** @internal */
  constructor(
    private readonly makeDocument: () => Record<string, unknown>,
    readonly source: JobSource,
  ) {}

  /** The folder relative paths in the job resolve against. */
  get baseDir(): string {
    return dirname(this.source.specPath);
  }

  /** The job's plain YAML document (a fresh copy each time: node overrides made since are in it). */
  toDocument(): Record<string, unknown> {
    return this.makeDocument();
  }

  /** The job as Azure CLI v2 YAML text. */
  toYaml(): string {
    return yamlText(this.toDocument());
  }

  /**
   * Validates and compiles the job with the one compiler. Throws a ValidationError with every
   * problem found; for a job built in code, problems in it name the pipeline and key path (its
   * YAML has no lines of the user's), problems in component files their file and line.
   */
  compile(options: CompileJobOptions = {}): CompiledJob {
    const { specPath, builtInCode } = this.source;
    try {
      return compileJobSpec(YamlSource.parse(specPath, this.source.text ?? this.toYaml()), {
        runDir: options.runDir ?? PROVISIONAL_RUN_DIR,
        ...(options.assets ? { assets: options.assets } : {}),
      });
    } catch (error) {
      if (!(error instanceof SpecErrors)) throw error;
      const errors =
        builtInCode === undefined
          ? error.errors
          : error.errors.map((spec) =>
              spec.location.file === specPath
                ? new SpecError({ file: builtInCode, keyPath: spec.location.keyPath }, spec.detail)
                : spec,
            );
      throw new ValidationError(errors);
    }
  }
}

/**
 * Loads a job YAML file (a pipeline, or a standalone parallel or command job) and validates it with
 * the one compiler; throws a ValidationError naming the file, key path and line of every problem.
 */
export async function loadJob(path: string, options: CompileJobOptions = {}): Promise<Job> {
  const specPath = resolve(path);
  let text: string;
  let document: unknown;
  try {
    text = await readJobText(specPath);
    document = YamlSource.parse(specPath, text).toJS();
  } catch (error) {
    if (error instanceof SpecErrors) throw new ValidationError(error.errors);
    throw error;
  }
  const plain = typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
  const job = new Job(() => structuredClone(plain), { specPath, text });
  job.compile(options);
  return job;
}
