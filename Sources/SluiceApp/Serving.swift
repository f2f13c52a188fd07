import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceCatalog
import SluiceCore
import SluicePostgres
import UnixSignals

/// Runs `sluice serve` until SIGINT or SIGTERM: opens the store `settings.database` names, calls `prepare` with it,
/// and serves.
///
/// On PostgreSQL one `ServiceGroup` runs the store's connection pool and the server. The server starts once the pool
/// runs: the migrations first (the step before anything else), then sealing, `prepare` and the application; at
/// shutdown the server stops first and the pool after it. On SQLite the store is opened, the application runs in a
/// group of its own, and the store is closed after it. Both seal with ``StoreSecrets/Sealing/afterStart``: values left
/// in clear on a store sealed under its key are sealed once the server listens.
///
/// - Parameters:
///   - prepare: called with the open store before the application is built (the CLI makes sure of its token there).
///   - onServerRunning: called with the bound port once the server listens.
/// - Throws: what opening the store throws (``StoreError/unavailable(_:)``, ``StoreSecrets/Failure``, ...), or what
///   the server does.
public func runServer(
    settings: AppSettings, logger: Logger, prepare: @escaping @Sendable (any Store) async throws -> Void,
    onServerRunning: @escaping @Sendable (Int) async -> Void
) async throws {
    AllocatorTuning.apply(environment: ProcessInfo.processInfo.environment)
    guard case .postgres(let url) = settings.database else {
        // The catalog is read once, for sealing and for serving.
        let engine = try await openEngineStore(settings, logger: logger)
        let catalog: Catalog
        do { catalog = try await loadCatalog(store: engine) } catch {
            try? await engine.close()
            throw error
        }
        let store = try await seal(engine, settings: settings, logger: logger, catalog: catalog, sealing: .afterStart)
        do {
            try await prepare(store)
            try await buildApplication(settings: settings, store: store, catalog: catalog, logger: logger, onServerRunning: onServerRunning)
                .runService()
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        return
    }
    let engine = try PostgresStore.connect(url: url, logger: logger)
    let server = StartingService {
        try await engine.migrate()
        let catalog = try await loadCatalog(store: engine)
        let store = try await seal(engine, settings: settings, logger: logger, catalog: catalog, sealing: .afterStart)
        try await prepare(store)
        try await buildApplication(settings: settings, store: store, catalog: catalog, logger: logger, onServerRunning: onServerRunning).run()
    }
    let group = ServiceGroup(
        configuration: .init(
            services: [
                .init(service: engine.clientService),
                .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}

/// A service that sets up what it runs when the group starts it, so that the set-up can use the services before it.
struct StartingService: Service {
    let body: @Sendable () async throws -> Void

    init(_ body: @escaping @Sendable () async throws -> Void) { self.body = body }

    func run() async throws { try await body() }
}
