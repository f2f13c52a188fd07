import Foundation
import Logging
import SluiceCatalog
import SluiceCore
import Synchronization

/// A store whose destination and subscription secrets are sealed at rest (issue #19).
///
/// It wraps an engine's store and changes only settings: on the way in, every secret value (the rule
/// that masks answers, ``SecretSealing``) is sealed with the keyring; on the way out, every sealed
/// value is opened. Everything above it (the API, delivery, the audit trail) sees settings in clear
/// as before, and the engines below store text: both engines behave the same because neither does
/// anything. The catalog says which settings are secret; values sealed already are known by their
/// prefix, so opening never needs it.
public struct SealedStore: Store {
    /// The engine's store.
    public let base: any Store
    /// The keys that seal and open.
    public let cipher: any SecretCipher
    let rules: SecretRules
    let catalog: Catalog
    /// Whether the start left sealing what remains to ``sealRemaining(logger:)`` (``StoreSecrets/Sealing/afterStart``).
    let sealsRemaining: Bool

    /// - Parameters:
    ///   - base: an engine's store, whose secrets are sealed under `cipher` already
    ///     (``StoreSecrets/prepare(_:source:database:catalog:logger:sealing:)``).
    ///   - catalog: the catalog whose options and action fields say which settings are secret.
    ///   - sealsRemaining: whether ``sealRemaining(logger:)`` has work to do (the start sealed after it).
    public init(base: any Store, cipher: any SecretCipher, catalog: Catalog, sealsRemaining: Bool = false) {
        self.base = base
        self.cipher = cipher
        self.catalog = catalog
        self.sealsRemaining = sealsRemaining
        rules = SecretRules(catalog: catalog)
    }

    /// Seals what a start with ``StoreSecrets/Sealing/afterStart`` left in clear, in one transaction, while the server
    /// already serves; nothing when the start sealed before use. A failure is logged and changes nothing: the values
    /// stay readable, and the next start tries again.
    public func sealRemaining(logger: Logger) async {
        guard sealsRemaining, let keyring = cipher as? SecretKeyring else { return }
        do {
            guard let rewritten = try await StoreSecrets.sealRemaining(base, keyring: keyring, catalog: catalog) else {
                logger.notice("The store's secret key changed since this process started; it leaves sealing to that change")
                return
            }
            if rewritten > 0 { logger.notice("Encrypted the secrets of \(rewritten) settings objects under key \(keyring.keyID)") }
        } catch {
            logger.error("Sealing the store's remaining secrets failed; the next start tries again", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Sealing

    private func sealed(_ d: Destination) throws -> Destination {
        var d = d
        d.settings = try SecretSealing.seal(d.settings, rule: rules.rule(for: .destination(metadataID: d.metadataID)), cipher: cipher)
        return d
    }

    private func opened(_ d: Destination) throws -> Destination {
        var d = d
        d.settings = try SecretSealing.open(d.settings, cipher: cipher)
        return d
    }

    private func sealed(_ s: Subscription) async throws -> Subscription {
        var s = s
        let metadataID = try await base.destination(id: s.destinationID)?.metadataID ?? ""
        s.settings = try SecretSealing.seal(
            s.settings, rule: rules.rule(for: .subscription(metadataID: metadataID, actionID: s.actionID)), cipher: cipher)
        return s
    }

    private func sealed(_ s: Subscription, metadataID: String) throws -> Subscription {
        var s = s
        s.settings = try SecretSealing.seal(
            s.settings, rule: rules.rule(for: .subscription(metadataID: metadataID, actionID: s.actionID)), cipher: cipher)
        return s
    }

    private func opened(_ s: Subscription) throws -> Subscription {
        var s = s
        s.settings = try SecretSealing.open(s.settings, cipher: cipher)
        return s
    }

    // MARK: - Destinations

    public func createDestination(_ destination: Destination, audit: [AuditEvent]) async throws {
        try await base.createDestination(sealed(destination), audit: audit)
    }

    public func destination(id: String) async throws -> Destination? {
        try await base.destination(id: id).map(opened)
    }

    public func listDestinations(sourceID: String?, page: PageRequest) async throws -> Page<Destination> {
        let page = try await base.listDestinations(sourceID: sourceID, page: page)
        return Page(items: try page.items.map(opened), totalEntries: page.totalEntries, request: page.request)
    }

    /// As stored: secrets still sealed (``DestinationAnswers`` opens them only for settings it has not masked yet).
    public func storedDestination(id: String) async throws -> StoredDestination? {
        try await base.storedDestination(id: id)
    }

    public func listStoredDestinations(sourceID: String?, page: PageRequest) async throws -> Page<StoredDestination> {
        try await base.listStoredDestinations(sourceID: sourceID, page: page)
    }

    public func enabledDestinations(sourceID: String, metadataIDs: [String]?) async throws -> [Destination] {
        try await base.enabledDestinations(sourceID: sourceID, metadataIDs: metadataIDs).map(opened)
    }

    public func updateDestination(
        id: String, _ transform: @escaping @Sendable (Destination) throws -> (Destination, [AuditEvent])
    ) async throws
        -> Destination
    {
        let store = self
        // The last transform's result in clear beside what it stored, so the answer needs no second opening.
        let last = Mutex<(sealed: Destination, clear: Destination)?>(nil)
        let stored = try await base.updateDestination(id: id) { current in
            let opened = try store.opened(current)
            let (updated, audit) = try transform(opened)
            var sealed = updated
            sealed.settings = try SecretSealing.seal(
                updated.settings, rule: store.rules.rule(for: .destination(metadataID: updated.metadataID)), cipher: store.cipher,
                keeping: current.settings, opened: opened.settings)
            last.withLock { $0 = (sealed, updated) }
            return (sealed, audit)
        }
        if let (sealed, clear) = last.withLock({ $0 }), sealed == stored { return clear }
        return try opened(stored)
    }

    public func deleteDestination(id: String, audit: @escaping @Sendable (Destination) -> [AuditEvent]) async throws {
        let store = self
        try await base.deleteDestination(id: id) { current in audit((try? store.opened(current)) ?? current) }
    }

    // MARK: - Subscriptions

    public func createSubscription(_ subscription: Subscription, audit: [AuditEvent]) async throws {
        try await base.createSubscription(sealed(subscription), audit: audit)
    }

    public func subscription(destinationID: String, id: String) async throws -> Subscription? {
        try await base.subscription(destinationID: destinationID, id: id).map(opened)
    }

    public func listSubscriptions(destinationID: String, page: PageRequest) async throws -> Page<Subscription> {
        let page = try await base.listSubscriptions(destinationID: destinationID, page: page)
        return Page(items: try page.items.map(opened), totalEntries: page.totalEntries, request: page.request)
    }

    public func subscriptions(destinationIDs: [String]) async throws -> [Subscription] {
        try await base.subscriptions(destinationIDs: destinationIDs).map(opened)
    }

    public func updateSubscription(
        destinationID: String, id: String, _ transform: @escaping @Sendable (Subscription) throws -> (Subscription, [AuditEvent])
    ) async throws -> Subscription {
        let store = self
        // A subscription's action cannot change, and its destination's catalog entry neither: read it once.
        let metadataID = try await base.destination(id: destinationID)?.metadataID ?? ""
        return try opened(
            await base.updateSubscription(destinationID: destinationID, id: id) { current in
                let (updated, audit) = try transform(store.opened(current))
                return (try store.sealed(updated, metadataID: metadataID), audit)
            })
    }

    public func deleteSubscription(destinationID: String, id: String, audit: @escaping @Sendable (Subscription) -> [AuditEvent]) async throws {
        let store = self
        try await base.deleteSubscription(destinationID: destinationID, id: id) { current in
            audit((try? store.opened(current)) ?? current)
        }
    }

    // MARK: - Sources (a source's deletion hands its destinations to the audit builder)

    public func createSource(_ source: Source, audit: [AuditEvent]) async throws { try await base.createSource(source, audit: audit) }
    public func source(id: String) async throws -> Source? { try await base.source(id: id) }
    public func source(writeKey: String) async throws -> Source? { try await base.source(writeKey: writeKey) }
    public func listSources(page: PageRequest) async throws -> Page<Source> { try await base.listSources(page: page) }
    public func updateSource(id: String, _ transform: @escaping @Sendable (Source) throws -> (Source, [AuditEvent])) async throws -> Source {
        try await base.updateSource(id: id, transform)
    }
    public func deleteSource(id: String, audit: @escaping @Sendable (Source, [Destination]) -> [AuditEvent]) async throws {
        let store = self
        try await base.deleteSource(id: id) { source, destinations in
            audit(source, destinations.map { (try? store.opened($0)) ?? $0 })
        }
    }

    // MARK: - Everything else, as the engine does it

    public func workspace() async throws -> Workspace { try await base.workspace() }
    public func createToken(_ token: APIToken, audit: [AuditEvent]) async throws { try await base.createToken(token, audit: audit) }
    public func token(hash: String) async throws -> APIToken? { try await base.token(hash: hash) }
    public func tokenCount() async throws -> Int { try await base.tokenCount() }
    public func listTokens() async throws -> [APIToken] { try await base.listTokens() }
    public func deleteToken(id: String, audit: [AuditEvent]) async throws { try await base.deleteToken(id: id, audit: audit) }
    public func listAuditEvents(filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await base.listAuditEvents(filter: filter, page: page)
    }
    public func recordAudit(_ events: [AuditEvent]) async throws { try await base.recordAudit(events) }
    public func importedCatalog() async throws -> [UInt8]? { try await base.importedCatalog() }
    public func saveImportedCatalog(_ bytes: [UInt8], audit: [AuditEvent]) async throws {
        try await base.saveImportedCatalog(bytes, audit: audit)
    }
    public func appendEvents(_ events: [IncomingEvent], refused: [SourceEventCount]) async throws {
        try await base.appendEvents(events, refused: refused)
    }
    public func pendingEvents(limit: Int) async throws -> [PendingEvent] { try await base.pendingEvents(limit: limit) }
    public func routingVersion() async throws -> Int64? { try await base.routingVersion() }
    public func appendRoutedEvents(_ events: [IncomingEvent], routing: IngestRouting, refused: [SourceEventCount]) async throws {
        try await base.appendRoutedEvents(events, routing: routing, refused: refused)
    }
    public func route(consumed: [Int64], jobs: [NewDeliveryJob]) async throws { try await base.route(consumed: consumed, jobs: jobs) }
    public func route(consumed: [Int64], jobs: [NewDeliveryJob], filtered: [FilteredEvent]) async throws {
        try await base.route(consumed: consumed, jobs: jobs, filtered: filtered)
    }
    public func filteredCounts(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> [String: Int64] {
        try await base.filteredCounts(sourceID: sourceID, destinationID: destinationID, minutes: minutes)
    }
    public func overviewCounts(
        step: DeliveryOverviewStep, sourceID: String, destinationID: String?, minutes: Range<Int64>
    ) async throws
        -> [DeliveryOverviewCount]
    {
        try await base.overviewCounts(step: step, sourceID: sourceID, destinationID: destinationID, minutes: minutes)
    }
    public func claimJobs(now: Date, limit: Int, lease: Duration) async throws -> [DeliveryJob] {
        try await base.claimJobs(now: now, limit: limit, lease: lease)
    }
    public func complete(
        _ completions: [JobCompletion], metrics: [MetricsDelta], log: [DeliveryAttempt], health: DeliveryHealthReport
    ) async throws -> [DeliveryHealthChange] {
        try await base.complete(completions, metrics: metrics, log: log, health: health)
    }
    public func deliveryAttempts(_ filter: DeliveryAttemptFilter, page: PageRequest) async throws -> Page<DeliveryAttempt> {
        try await base.deliveryAttempts(filter, page: page)
    }
    public func pruneDeliveryAttempts(before cutoff: Date, keepPerDestination: Int) async throws -> Int {
        try await base.pruneDeliveryAttempts(before: cutoff, keepPerDestination: keepPerDestination)
    }
    public func releaseLeases() async throws { try await base.releaseLeases() }
    public func nextDueTime() async throws -> Date? { try await base.nextDueTime() }
    public func failedEvents(_ filter: FailedEventFilter, page: PageRequest) async throws -> Page<FailedEvent> {
        try await base.failedEvents(filter, page: page)
    }
    public func replayFailedEvents(
        _ filter: FailedEventFilter, at now: Date, audit: @escaping @Sendable ([String: Int]) -> [AuditEvent]
    ) async throws -> Int {
        try await base.replayFailedEvents(filter, at: now, audit: audit)
    }
    public func deleteFailedEvents(before cutoff: Date) async throws -> Int { try await base.deleteFailedEvents(before: cutoff) }
    public func deliveryState(destinationID: String) async throws -> DestinationDeliveryState {
        try await base.deliveryState(destinationID: destinationID)
    }
    public func setDeliveryRateLimit(destinationID: String, eventsPerSecond: Double?, at now: Date, audit: [AuditEvent]) async throws -> Bool {
        try await base.setDeliveryRateLimit(destinationID: destinationID, eventsPerSecond: eventsPerSecond, at: now, audit: audit)
    }
    public func failingDestinationCount() async throws -> Int { try await base.failingDestinationCount() }
    public func setDeliveryPaused(destinationID: String, at pausedAt: Date?, audit: [AuditEvent]) async throws -> Bool {
        try await base.setDeliveryPaused(destinationID: destinationID, at: pausedAt, audit: audit)
    }
    public func queueDepth() async throws -> (events: Int, jobs: Int) { try await base.queueDepth() }
    public func pendingEventSpan() async throws -> Int { try await base.pendingEventSpan() }
    public func deliveryCounters(sourceID: String, destinationID: String, minutes: Range<Int64>) async throws -> DeliveryCounters {
        try await base.deliveryCounters(sourceID: sourceID, destinationID: destinationID, minutes: minutes)
    }
    public func secretKeyCheck() async throws -> String? { try await base.secretKeyCheck() }
    public func holdsSecretsSealedUnderOtherKeys(than keyID: String) async throws -> Bool {
        try await base.holdsSecretsSealedUnderOtherKeys(than: keyID)
    }
    public func resealSecrets(
        expectedCheck: String?, newCheck: String,
        _ reseal: @escaping @Sendable (SecretHolder, [String: JSONValue]) throws -> [String: JSONValue]?
    ) async throws -> Int {
        try await base.resealSecrets(expectedCheck: expectedCheck, newCheck: newCheck, reseal)
    }
    public func appliedMigrations() async throws -> [String] { try await base.appliedMigrations() }
    public func close() async throws { try await base.close() }
}

/// Which settings are secret, by catalog entry and action (``SecretSealing``'s rules over a catalog).
struct SecretRules: Sendable {
    let catalog: Catalog

    func rule(for holder: SecretHolder) -> SecretSealing.Rule {
        switch holder {
        case .destination(let metadataID):
            return SecretSealing.destinationRule(secretNames: catalog.secretNames(destination: metadataID))
        case .subscription(let metadataID, let actionID):
            let fields = catalog.destination(id: metadataID)?.actions.first { $0.id == actionID }?.fields ?? []
            return SecretSealing.subscriptionRule(fields: fields)
        }
    }
}
