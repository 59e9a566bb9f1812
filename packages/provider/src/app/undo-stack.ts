/**
 * Undo steps for a multi-step operation. Each step that changes the world
 * pushes how to take the change back; on failure the steps run in reverse.
 *
 * @module
 */
import type { Logger } from 'pino'

/** An undo step; `earlierFailures` counts undo steps that already failed in this unwind. */
export type UndoStep = (earlierFailures: number) => Promise<void> | void

export class UndoStack {
  readonly #steps: { what: string; step: UndoStep }[] = []

  /** `done` is what the log says after each step ("undone" for a failed operation, "released" for a shutdown). */
  constructor(
    private readonly logger: Logger,
    private readonly done = 'undone',
  ) {}

  push(what: string, step: UndoStep): void {
    this.#steps.push({ what, step })
  }

  /** Forgets every step: the operation succeeded. */
  commit(): void {
    this.#steps.length = 0
  }

  /** Runs every step, last first. A failing step is logged and does not stop the others. */
  async unwind(): Promise<number> {
    let failures = 0
    for (const { what, step } of this.#steps.splice(0).reverse()) {
      try {
        await step(failures)
        this.logger.info({ undo: what }, this.done)
      } catch (error) {
        failures++
        this.logger.error({ undo: what, err: error instanceof Error ? error.message : String(error) }, 'undo step failed')
      }
    }
    return failures
  }
}
