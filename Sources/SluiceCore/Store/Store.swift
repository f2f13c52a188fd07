import Foundation

/// The workspace a store holds; created with the store by its first migration run.
public protocol WorkspaceRepository: Sendable {
    /// The store's one workspace.
    ///
    /// - Throws: ``StoreError/unavailable(_:)`` when the store cannot be read.
    func workspace() async throws -> Workspace
}

/// Public API tokens, stored by hash only.
public protocol TokenRepository: Sendable {
    /// Stores a new token (its hash) and the audit events that go with it, in one transaction.
    ///
    /// - Throws: ``StoreError/conflict(_:)`` when a token with the same hash exists.
    func createToken(_ token: APIToken, audit: [AuditEvent]) async throws
    /// The token whose hash is `hash`, or `nil`.
    func token(hash: String) async throws -> APIToken?
    /// How many tokens the store holds.
    func tokenCount() async throws -> Int
    /// Every token (their hashes, never their text), oldest first.
    func listTokens() async throws -> [APIToken]
    /// Deletes the token `id` with its audit events, in one transaction; it stops working at once
    /// (within the few seconds a process may remember a verified token).
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    func deleteToken(id: String, audit: [AuditEvent]) async throws
}

/// Sources and their write keys.
public protocol SourceRepository: Sendable {
    /// Stores a new source with its write keys and audit events in one transaction.
    ///
    /// - Throws: ``StoreError/conflict(_:)`` when the slug is taken.
    func createSource(_ source: Source, audit: [AuditEvent]) async throws
    /// The source with `id`, or `nil`.
    func source(id: String) async throws -> Source?
    /// The source that owns `writeKey`, or `nil`.
    func source(writeKey: String) async throws -> Source?
    /// A page of sources, oldest first.
    func listSources(page: PageRequest) async throws -> Page<Source>
    /// Reads the source, applies `transform` and writes the result with its audit events, in one transaction.
    ///
    /// The write keys are written too, so a transform can add or remove one (key rotation).
    /// `transform` runs inside the write transaction, so concurrent updates apply one after the other.
    /// - Throws: ``StoreError/notFound(resource:id:)``, ``StoreError/conflict(_:)`` (slug or write key taken), or what `transform` throws.
    func updateSource(id: String, _ transform: @escaping @Sendable (Source) throws -> (Source, [AuditEvent])) async throws -> Source
    /// Deletes the source, its destinations and their subscriptions, with the audit events `audit` builds from them.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    func deleteSource(id: String, audit: @escaping @Sendable (Source, [Destination]) -> [AuditEvent]) async throws
}

/// Destinations.
public protocol DestinationRepository: Sendable {
    /// Stores a new destination and its audit events in one transaction.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` when its source is gone.
    func createDestination(_ destination: Destination, audit: [AuditEvent]) async throws
    /// The destination with `id`, or `nil`.
    func destination(id: String) async throws -> Destination?
    /// A page of destinations, oldest first, optionally of one source only.
    func listDestinations(sourceID: String?, page: PageRequest) async throws -> Page<Destination>
    /// The destination with `id` as stored, its settings unparsed (``StoredDestination``), or `nil`: what
    /// `GET /destinations/{id}` answers from.
    func storedDestination(id: String) async throws -> StoredDestination?
    /// A page of destinations as stored, in the order and with the totals of ``listDestinations(sourceID:page:)``.
    func listStoredDestinations(sourceID: String?, page: PageRequest) async throws -> Page<StoredDestination>
    /// Every enabled destination of a source (for routing), only of the catalog entries `metadataIDs` when given: the
    /// destinations of other kinds are neither read nor decoded, however many there are.
    func enabledDestinations(sourceID: String, metadataIDs: [String]?) async throws -> [Destination]
    /// Reads the destination, applies `transform` and writes the result with its audit events, in one transaction.
    ///
    /// What is written is always `transform` applied to the row as it is when the transaction commits, so concurrent
    /// updates apply one after the other. An engine may run `transform` first on the row as read before its transaction
    /// and write that result only if the row is unchanged in the transaction, running `transform` again inside it if
    /// not (PostgreSQL does): `transform` must be a pure function of the row it is given.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` or what `transform` throws.
    func updateDestination(
        id: String, _ transform: @escaping @Sendable (Destination) throws -> (Destination, [AuditEvent])
    ) async throws
        -> Destination
    /// Deletes the destination and its subscriptions, with the audit events `audit` builds.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    func deleteDestination(id: String, audit: @escaping @Sendable (Destination) -> [AuditEvent]) async throws
}

/// Actions subscriptions of destinations.
public protocol SubscriptionRepository: Sendable {
    /// Stores a new subscription and its audit events in one transaction.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` when its destination is gone.
    func createSubscription(_ subscription: Subscription, audit: [AuditEvent]) async throws
    /// The subscription `id` of destination `destinationID`, or `nil`.
    func subscription(destinationID: String, id: String) async throws -> Subscription?
    /// A page of a destination's subscriptions, oldest first.
    func listSubscriptions(destinationID: String, page: PageRequest) async throws -> Page<Subscription>
    /// Every subscription of the destinations named (for routing).
    func subscriptions(destinationIDs: [String]) async throws -> [Subscription]
    /// Reads, transforms and writes a subscription with its audit events, in one transaction.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` or what `transform` throws.
    func updateSubscription(
        destinationID: String, id: String, _ transform: @escaping @Sendable (Subscription) throws -> (Subscription, [AuditEvent])
    ) async throws -> Subscription
    /// Deletes a subscription with the audit events `audit` builds.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    func deleteSubscription(destinationID: String, id: String, audit: @escaping @Sendable (Subscription) -> [AuditEvent]) async throws
}

/// The audit trail.
public protocol AuditRepository: Sendable {
    /// A page of audit events matching `filter`, newest first.
    func listAuditEvents(filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent>
    /// Records events on their own (for actions that write nothing else).
    func recordAudit(_ events: [AuditEvent]) async throws
}

/// A catalog imported with `sluice catalog import`, kept in the store in Sluice's own format.
public protocol CatalogRepository: Sendable {
    /// The imported catalog's bytes, or `nil` when none was imported (the shipped one is used).
    func importedCatalog() async throws -> [UInt8]?
    /// Replaces the imported catalog.
    func saveImportedCatalog(_ bytes: [UInt8], audit: [AuditEvent]) async throws
}

/// Whose settings a secret belongs to, so that the caller of ``SecretRepository/resealSecrets(expectedCheck:newCheck:_:)``
/// can tell which of them are secret.
public enum SecretHolder: Sendable, Equatable {
    /// A destination's settings; `metadataID` names its catalog entry.
    case destination(metadataID: String)
    /// A subscription's settings; `metadataID` names its destination's catalog entry.
    case subscription(metadataID: String, actionID: String)
}

/// What the store keeps for secrets at rest (issue #19): a key check value, and one rewrite of every
/// settings object that may hold secrets. The store never encrypts or decrypts: it stores text.
public protocol SecretRepository: Sendable {
    /// The key check value stored with the secrets (a known text sealed under the store's key), or `nil`
    /// when none was ever stored.
    func secretKeyCheck() async throws -> String?
    /// Rewrites, in one transaction, every destination's and subscription's settings that `reseal`
    /// returns a new value for, and stores `newCheck` as the key check value.
    ///
    /// `reseal` runs inside the write transaction; when it throws, nothing is written.
    /// - Returns: how many settings objects were rewritten.
    /// - Throws: ``StoreError/conflict(_:)`` when the stored key check is no longer `expectedCheck`
    ///   (another process changed the key meanwhile), or what `reseal` throws.
    func resealSecrets(
        expectedCheck: String?, newCheck: String,
        _ reseal: @escaping @Sendable (SecretHolder, [String: JSONValue]) throws -> [String: JSONValue]?
    ) async throws -> Int
    /// Whether some destination's or subscription's settings hold a value sealed under a key other than `keyID`: a
    /// ``SealedSecret/prefix`` not followed by `keyID` and `:` (``SealedSecret/mentionsOtherKey(in:than:)`` on each
    /// stored text). One read of the stored text, parsing nothing, so that a start can see that only clear values are
    /// left to seal.
    func holdsSecretsSealedUnderOtherKeys(than keyID: String) async throws -> Bool
}

/// Everything Sluice keeps, behind one value: each engine (SQLite, PostgreSQL) implements it whole.
public protocol Store: WorkspaceRepository, TokenRepository, SourceRepository, DestinationRepository, SubscriptionRepository,
    AuditRepository, CatalogRepository, DeliveryQueue, FailedEventStore, EventLogStore,
    SecretRepository
{
    /// The ids of the schema migrations applied, in order (the same list on every engine).
    func appliedMigrations() async throws -> [String]
    /// Closes the store: waits for writes in progress, then releases the database.
    func close() async throws
}

extension Store {
    /// Every enabled destination of a source, of every kind.
    public func enabledDestinations(sourceID: String) async throws -> [Destination] {
        try await enabledDestinations(sourceID: sourceID, metadataIDs: nil)
    }
}
