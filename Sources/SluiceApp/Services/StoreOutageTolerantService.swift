import Logging
import ServiceLifecycle
import SluiceCore

/// Runs a pipeline service again when it stops because the store cannot be written
/// (``StoreError/unavailable(_:)``: disk full, read-only file, database down), instead of
/// letting its error end the whole server.
///
/// A service that throws ends the service group, and with it the server: started on a read-only
/// SQLite file, the delivery worker's first write (releasing leases) used to stop Sluice before it
/// could answer a single read (found by scripts/e2e_faults.py). Wrapped, the worker waits a second
/// and starts over, the Public API goes on answering reads (and 503 to writes), and delivery
/// resumes by itself once the store can be written again. Other errors end the server as before.
struct StoreOutageTolerantService: Service {
    let base: any Service
    let name: String
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await base.run()
                return
            } catch StoreError.unavailable(let reason) {
                logger.error("\(name) stopped: the store cannot be written; starting it again in a second", metadata: ["reason": "\(reason)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
