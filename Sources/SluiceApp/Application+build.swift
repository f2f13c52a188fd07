import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SluiceCatalog
import SluiceCore
import SluiceDelivery
import SluicePostgres
import SluiceSQLite

/// Opens the store that `settings.database` names, running its migrations, with its secrets sealed
/// at rest under the key `settings.secretKey` names (``SealedStore``, ``StoreSecrets``).
///
/// - Parameters:
///   - sealed: `false` opens the engine's store alone, for commands that never touch settings
///     (tokens, write keys, the catalog), so that they need no key.
///   - catalog: the catalog that says which settings are secret; the store's (``loadCatalog(store:)``) when `nil`.
/// - Throws: ``StoreError/unavailable(_:)`` when it cannot be opened; a ``ValidationError``
///   for an engine this build does not have; ``StoreSecrets/Failure`` when the key is missing or wrong
///   (the store is then left as it was).
///   - sealing: when the last step of sealing runs on a store sealed under its key already (``StoreSecrets/Sealing``).
public func openStore(
    _ settings: AppSettings, logger: Logger, sealed: Bool = true, catalog: Catalog? = nil, sealing: StoreSecrets.Sealing = .beforeUse
) async throws -> any Store {
    let store = try await openEngineStore(settings, logger: logger)
    guard sealed else { return store }
    return try await seal(store, settings: settings, logger: logger, catalog: catalog, sealing: sealing)
}

/// The engine's store `store` with its secrets sealed at rest (``StoreSecrets``); `store` is closed when that fails.
func seal(
    _ store: any Store, settings: AppSettings, logger: Logger, catalog: Catalog? = nil, sealing: StoreSecrets.Sealing = .beforeUse
) async throws -> any Store {
    do {
        let served: Catalog
        if let catalog { served = catalog } else { served = try await loadCatalog(store: store) }
        return try await StoreSecrets.sealed(
            store, source: settings.secretKey, database: settings.database, catalog: served, logger: logger, sealing: sealing)
    } catch {
        try? await store.close()
        throw error
    }
}

/// Opens the engine's store alone (no sealing), running its migrations.
public func openEngineStore(_ settings: AppSettings, logger: Logger) async throws -> any Store {
    switch settings.database {
    case .memory:
        return try SQLiteStore.temporary(logger: logger)
    case .sqlite(let path):
        // The store holds the write keys and (sealed) destination secrets, so a new file is readable by
        // its owner only; SQLite gives its -wal and -shm files the same mode.
        // (It used to follow the umask: 0644, world-readable. SECURITY.md.)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        return try SQLiteStore(path: path, fullSync: settings.fullSync, logger: logger)
    case .postgres(let url):
        return try await PostgresStore.open(url: url, logger: logger)
    }
}

/// Loads the catalog: the one imported into the store if any, else the one shipped in the binary.
public func loadCatalog(store: any Store) async throws -> Catalog {
    if let bytes = try await store.importedCatalog() {
        return try Catalog(sluiceFormat: bytes)
    }
    return Catalog.embedded()
}

/// Builds the Sluice application on an open store.
///
/// - Parameters:
///   - settings: what the CLI read (host, port, feature flags).
///   - store: the open store; the caller closes it after the application stops.
///   - catalog: the catalog to serve; loaded from the store when `nil`.
///   - minting: where new ids, write keys and timestamps come from (a fixed sequence in snapshot tests).
///   - onServerRunning: called with the bound port once the server listens.
public func buildApplication(
    settings: AppSettings, store: any Store, catalog: Catalog? = nil, logger: Logger, minting: Minting = .system,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let served: Catalog
    if let catalog { served = catalog } else { served = try await loadCatalog(store: store) }
    let services = AppServices(
        store: store, catalog: served, workspace: try await store.workspace(), settings: settings, logger: logger, minting: minting)
    let pipeline = Pipeline(services: services)
    let router = buildRouter(services: services, pipeline: pipeline)
    // The idle timeout closes connections that send nothing complete for that long: slow clients
    // (slowloris) that would otherwise hold sockets for ever (issue #9). Requests that are not valid
    // HTTP get their 400 in the envelope.
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ParseErrorEnvelopeHandler()],
        idleTimeout: settings.idleTimeout.map { .nanoseconds(Int64($0 / .nanoseconds(1))) })
    var app = Application(
        router: router,
        server: .http1(configuration: http1),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "Sluice"),
        onServerRunning: { channel in
            await onServerRunning(channel.localAddress?.port ?? settings.port)
            if let sealed = store as? SealedStore { Task { await sealed.sealRemaining(logger: logger) } }
            if settings.delivery {
                for line in settings.endpointOverrides.summary { logger.notice("Endpoint override: \(line)") }
                Task { await services.noteUndeliverableAtStart() }
            }
        },
        logger: logger)
    // The client is shut down by its service, so it runs even when this process does not deliver.
    app.addServices(pipeline.httpClient)
    if pipeline.backlog.limit != nil { app.addServices(pipeline.backlog) }
    if settings.delivery {
        app.addServices(pipeline.router, pipeline.worker)
        app.addServices(
            RetentionJanitor(
                store: services.store, failedEventRetention: settings.failedEventRetention,
                eventLog: settings.eventLog, logger: logger))
    }
    return app
}

/// The delivery pipeline's parts: group-committing writer, router, workers, and their counters.
struct Pipeline {
    let stats = PipelineStats()
    let incoming = PipelineSignal()
    let routed = PipelineSignal()
    let writer: EventWriter
    let router: EventRouter
    let worker: DeliveryWorker
    let httpClient: HTTPClientService
    let backlog: RoutingBacklog

    init(services: AppServices) {
        backlog = RoutingBacklog(store: services.store, limit: services.settings.maxRoutingBacklog, logger: services.logger)
        let integrations = services.integrations
        router = EventRouter(
            store: services.store, integrations: integrations, incoming: incoming, routed: routed, logger: services.logger, stats: stats)
        writer = EventWriter(store: services.store, notify: incoming, router: router)
        httpClient = HTTPClientService(client: DeliverySender.makeHTTPClient(), http1: HTTP1Client())
        var policy = RetryPolicy.standard
        policy.window = services.settings.retryWindow
        worker = DeliveryWorker(
            store: services.store, integrations: integrations,
            sender: DeliverySender.live(httpClient: httpClient.client, http1: httpClient.http1).overriding(services.settings.endpointOverrides),
            policy: policy, wake: routed,
            stats: stats, logger: services.logger, lease: services.settings.deliveryLease, eventLog: services.settings.eventLog,
            secretNames: { [catalog = services.catalog] in catalog.secretNames(destination: $0) },
            breaker: services.settings.breaker)
    }
}

/// The router with every middleware and route.
func buildRouter(services: AppServices, pipeline: Pipeline) -> Router<SluiceRequestContext> {
    let router = Router(context: SluiceRequestContext.self)
    let routes = RouteTable()
    router.add(middleware: ErrorMiddleware(routes: routes, logger: services.logger))
    router.add(
        middleware: AuthMiddleware(tokens: TokenAuthenticator(store: services.store, minting: services.minting), console: services.settings.console))
    if services.settings.rateLimit {
        router.add(middleware: RateLimitMiddleware(limiter: RateLimiter(generalLimit: services.settings.generalRateLimit)))
    }
    router.add(middleware: MediaTypeMiddleware())
    WorkspaceController(services: services).register(on: router)
    CatalogController(services: services).register(on: router)
    SourcesController(services: services).register(on: router)
    DestinationsController(services: services).register(on: router)
    SubscriptionsController(services: services).register(on: router)
    FiltersController(services: services).register(on: router)
    DeliveryMetricsController(services: services, stats: pipeline.stats).register(on: router)
    DeliveryOverviewController(services: services).register(on: router)
    DeliveryControlController(services: services, wake: pipeline.routed).register(on: router)
    FailedEventsController(services: services, wake: pipeline.routed).register(on: router)
    EventLogController(services: services).register(on: router)
    ToolsController(integrations: services.integrations, catalog: services.catalog).register(on: router)
    if services.settings.console {
        ConsoleController(assets: ConsoleAssets(directory: services.settings.consoleDirectory)).register(on: router)
    }
    TrackingController(writer: pipeline.writer, stats: pipeline.stats, keys: WriteKeyCache(store: services.store), backlog: pipeline.backlog)
        .register(on: router)
    routes.load(router.routes.map { ($0.path.description, $0.method) })
    return router
}
