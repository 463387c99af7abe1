/**
 * The pipeline being built: a pipeline() function runs synchronously, and every component called
 * while it runs adds its step here (Azure's `@pipeline` works the same way). A stack, so that the
 * error for a component called outside any pipeline is clear.
 */
import type { Step } from './step.js';

/** The steps of one pipeline under construction, in call order. */
export class StepCollector {
  readonly steps: Step[] = [];

  /** A free step name: `preferred` itself, else `preferred_2`, `preferred_3`, … */
  freeName(preferred: string): string {
    if (!this.steps.some((step) => step.name === preferred)) return preferred;
    for (let n = 2; ; n++) {
      const candidate = `${preferred}_${n}`;
      if (!this.steps.some((step) => step.name === candidate)) return candidate;
    }
  }
}

const building: StepCollector[] = [];

/** Runs `body` with `collector` receiving the steps made meanwhile. */
export function collectSteps<R>(collector: StepCollector, body: () => R): R {
  building.push(collector);
  try {
    return body();
  } finally {
    building.pop();
  }
}

/** True while a pipeline() function runs (a component called now adds a step to it). */
export function isBuildingPipeline(): boolean {
  return building.length > 0;
}

/** The pipeline being built; throws when a component is called outside a pipeline() function. */
export function currentCollector(component: string): StepCollector {
  const collector = building.at(-1);
  if (!collector) {
    throw new TypeError(
      `component ${component} was called outside a pipeline() function; steps exist only inside a pipeline`,
    );
  }
  return collector;
}
