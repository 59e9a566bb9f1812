/**
 * A driver that reports every backend call to telemetry: which call, how
 * long it took, and the error code when it failed. It wraps any driver and
 * changes nothing else: same results, same errors, same signals.
 *
 * @module
 */
import type { ErrorCode } from '../domain/errors.js'
import { DriverError, type VmDriver } from '../drivers/driver.js'
import type { BackendCommand, Telemetry } from './ports/telemetry.js'

/** Wraps `driver` so that each call is reported to `telemetry.backendCalled`. */
export function observedDriver(driver: VmDriver, telemetry: Pick<Telemetry, 'backendCalled'>): VmDriver {
  const timed = async <T>(command: BackendCommand, call: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    let code: ErrorCode | null = null
    try {
      return await call()
    } catch (error) {
      // The code the client would see for this failure (VmService maps DriverError the same way).
      code = error instanceof DriverError ? `BACKEND_${error.code}` : 'INTERNAL'
      throw error
    } finally {
      telemetry.backendCalled({ backend: driver.name, command, code, durationMs: performance.now() - started })
    }
  }
  return {
    name: driver.name,
    probe: (signal) => timed('probe', () => driver.probe(signal)),
    launch: (spec, signal) => timed('launch', () => driver.launch(spec, signal)),
    start: (instance, signal) => timed('start', () => driver.start(instance, signal)),
    stop: (instance, signal) => timed('stop', () => driver.stop(instance, signal)),
    destroy: (instance, signal) => timed('destroy', () => driver.destroy(instance, signal)),
    inspect: (instance, signal) => timed('inspect', () => driver.inspect(instance, signal)),
    list: (signal) => timed('list', () => driver.list(signal)),
    ...(driver.holdings === undefined ? {} : { holdings: driver.holdings.bind(driver) }),
    ...(driver.bootReport === undefined ? {} : { bootReport: driver.bootReport.bind(driver) }),
    ...(driver.guestPortTarget === undefined ? {} : { guestPortTarget: driver.guestPortTarget.bind(driver) }),
    ...(driver.guestBooted === undefined ? {} : { guestBooted: driver.guestBooted.bind(driver) }),
  }
}
