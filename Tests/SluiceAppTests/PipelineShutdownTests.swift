import Logging
import ServiceLifecycle
import SluiceCore
import SluiceDelivery
import SluiceSQLite
import Testing

/// The pipeline's loops stop when graceful shutdown begins, without sitting out their idle wait: `sluice serve` stops
/// at once on SIGTERM, and each in-process test's app stops when its body ends.
@Suite struct PipelineShutdownTests {
    @Test(.timeLimit(.minutes(1)))
    func idleRouterAndWorkerStopAtOnceOnGracefulShutdown() async throws {
        let store = try SQLiteStore.temporary()
        // An hour's idle wait each: before they ended it at shutdown, this test ran into its time limit.
        try await runRouterAndWorkerThenShutDown(store: store, idleWait: .seconds(3600), retryWait: .seconds(1))
        try await store.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func failingRouterAndWorkerStopAtOnceOnGracefulShutdown() async throws {
        // A closed store fails every call: both loops are in their wait after a failure when shutdown begins.
        let store = try SQLiteStore.temporary()
        try await store.close()
        await #expect(throws: (any Error).self) { _ = try await store.pendingEvents(limit: 1) }
        // An hour's wait after each failure: before it ended at shutdown, this test ran into its time limit.
        try await runRouterAndWorkerThenShutDown(store: store, idleWait: .seconds(1), retryWait: .seconds(3600))
    }

    /// Runs a router and a worker on `store` in a `ServiceGroup`, gives them 300 ms to reach their wait (idle, or after
    /// a failure), then triggers graceful shutdown and returns when both have stopped.
    private func runRouterAndWorkerThenShutDown(store: SQLiteStore, idleWait: Duration, retryWait: Duration) async throws {
        let logger = Logger(label: "test")
        let routed = PipelineSignal()
        let router = EventRouter(
            store: store, integrations: .webhooksOnly, incoming: PipelineSignal(), routed: routed, logger: logger, idleWait: idleWait,
            retryWait: retryWait)
        let worker = DeliveryWorker(
            store: store, integrations: .webhooksOnly, sender: DeliverySender { _ in HTTPResponseSpec(status: 200) }, policy: .standard,
            wake: routed, stats: PipelineStats(), logger: logger, idleWait: idleWait, retryWait: retryWait)
        let group = ServiceGroup(configuration: .init(services: [router, worker], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Eight loops waiting an hour on one signal.
    struct Waiters: Service {
        let signal: PipelineSignal
        func run() async throws {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { await signal.wait(timeout: .seconds(3600)) } }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func everyWaitOnASignalEndsWhenShutdownBegins() async throws {
        // Shutdown begins before, while or after the loops begin to wait: none of them may miss it.
        for round in 0..<200 {
            let group = ServiceGroup(
                configuration: .init(services: [Waiters(signal: PipelineSignal())], gracefulShutdownSignals: [], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for _ in 0..<(round % 4) { await Task.yield() }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
