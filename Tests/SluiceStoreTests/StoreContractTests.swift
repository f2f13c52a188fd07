import Foundation
import SluiceCore
import SluicePostgres
import SluiceSQLite
import Testing

/// The engines the contract runs against: both SQLite forms always, PostgreSQL when
/// `SLUICE_TEST_POSTGRES` names a database (each store gets a schema of its own there).
/// Every migration, in order: the same ids on every engine.
let allMigrations = [
    "0001_create_core", "0002_create_delivery", "0003_destination_filters", "0004_secret_key_check", "0005_source_event_counts",
    "0006_paused_destinations", "0007_failed_events", "0008_event_log", "0009_destination_delivery_state", "0010_destinations_source_kind",
]
/// SQLite's migrations: the shared ones, then the routing version that only SQLite keeps (#20).
let sqliteMigrations = allMigrations + ["0011_routing_version"]

enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqliteMemory
    case sqliteFile
    case postgres

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var allCases: [StoreKind] { postgresURL == nil ? [.sqliteMemory, .sqliteFile] : [.sqliteMemory, .sqliteFile, .postgres] }

    var testDescription: String { rawValue }

    func make() async throws -> any Store {
        switch self {
        case .sqliteMemory: return try SQLiteStore.temporary()
        case .sqliteFile: return try SQLiteStore(path: temporaryPath())
        case .postgres:
            let url = try #require(Self.postgresURL)
            return try await PostgresStore.open(url: url, schema: "t_" + Identifier.make().lowercased(), temporary: true)
        }
    }
}

/// The size of the WAL of the SQLite database at `path` (0 when it has none).
func walSize(ofStoreAt path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
}

func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(Identifier.make()).sqlite").path
}

extension Source {
    static func fixture(slug: String = "web", id: String = Identifier.make()) -> Source {
        Source(
            id: id, workspaceID: "ws", slug: slug, name: "Web", enabled: true, metadataID: "8HWbgPTt3k", settings: ["a": 1],
            writeKeys: [Identifier.writeKey()], labels: [Label(key: "env", value: "dev")], createdAt: Date(timeIntervalSince1970: 1_700_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }
}

extension Destination {
    static func fixture(sourceID: String, workspaceID: String = "ws", id: String = Identifier.make()) -> Destination {
        Destination(
            id: id, workspaceID: workspaceID, sourceID: sourceID, metadataID: "54521fd525e721e32a72ee91", name: "Amp", enabled: true,
            settings: ["apiKey": "secret", "n": 1.5], createdAt: Date(timeIntervalSince1970: 1_700_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }
}

@Suite struct StoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func sourcesRoundTrip(kind: StoreKind) async throws {
        let store = try await kind.make()
        // Given a stored source
        var source = Source.fixture()
        source.workspaceID = try await store.workspace().id
        try await store.createSource(source, audit: [])
        // Then it reads back whole, by id and by write key
        #expect(try await store.source(id: source.id) == source)
        #expect(try await store.source(writeKey: source.writeKeys[0]) == source)
        #expect(try await store.source(id: "missing") == nil)
        // And a second source with the same slug is a conflict
        await #expect(throws: StoreError.self) { try await store.createSource(Source.fixture(), audit: []) }
        try await store.close()
    }

    /// A closed store answers every call with an error (never a crash), and closing it again does nothing.
    @Test(arguments: StoreKind.allCases)
    func aClosedStoreFailsItsCallsAndClosesAgainQuietly(kind: StoreKind) async throws {
        let store = try await kind.make()
        let source = try await storedSource(store)
        try await store.close()
        // Reads, point reads among them
        await #expect(throws: StoreError.self) { try await store.workspace() }
        await #expect(throws: StoreError.self) { try await store.source(id: source.id) }
        await #expect(throws: StoreError.self) { try await store.source(writeKey: source.writeKeys[0]) }
        await #expect(throws: StoreError.self) { try await store.storedDestination(id: "d") }
        await #expect(throws: StoreError.self) { try await store.listStoredDestinations(sourceID: nil, page: PageRequest(count: 5)) }
        await #expect(throws: StoreError.self) { try await store.token(hash: "h") }
        await #expect(throws: StoreError.self) { try await store.queueDepth() }
        // Writes: the Public API's (group commit on SQLite) and the pipeline's
        await #expect(throws: StoreError.self) {
            try await store.createDestination(Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID), audit: [])
        }
        await #expect(throws: StoreError.self) { try await store.recordAudit([]) }
        await #expect(throws: StoreError.self) {
            try await store.appendEvents([IncomingEvent(sourceID: source.id, messageID: "m", receivedAt: Date(), body: Array("{}".utf8))])
        }
        await #expect(throws: StoreError.self) { try await store.pendingEvents(limit: 10) }
        await #expect(throws: StoreError.self) { try await store.claimJobs(now: Date(), limit: 10, lease: .seconds(30)) }
        if kind != .postgres {  // PostgreSQL keeps no leases apart from its rows: releasing them there is nothing
            await #expect(throws: StoreError.self) { try await store.releaseLeases() }
        }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func pagesAreStableAndOrdered(kind: StoreKind) async throws {
        let store = try await kind.make()
        var ids: [String] = []
        for i in 0..<5 {
            var source = Source.fixture(slug: "s\(i)")
            source.workspaceID = try await store.workspace().id
            try await store.createSource(source, audit: [])
            ids.append(source.id)
        }
        let first = try await store.listSources(page: PageRequest(count: 2))
        #expect(first.items.map(\.id) == Array(ids[0..<2]))
        #expect(first.totalEntries == 5)
        let last = try await store.listSources(page: PageRequest(count: 2, offset: 4))
        #expect(last.items.map(\.id) == [ids[4]])
        #expect(last.next == nil)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func destinationsUpdateInOneTransaction(kind: StoreKind) async throws {
        let store = try await kind.make()
        var source = Source.fixture()
        source.workspaceID = try await store.workspace().id
        try await store.createSource(source, audit: [])
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        // When many concurrent updates each set their own key
        try await updateSettingsConcurrently(destinationID: destination.id, count: 20, over: [store])
        // Then none is lost
        let stored = try #require(try await store.destination(id: destination.id))
        for i in 0..<20 { #expect(stored.settings["k\(i)"] == .number(Double(i))) }
        #expect(stored.settings["apiKey"] == "secret")
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func destinationsReadAsStoredMatchTheParsedOnes(kind: StoreKind) async throws {
        let store = try await kind.make()
        let one = try await storedSource(store, slug: "one")
        let two = try await storedSource(store, slug: "two")
        var made: [Destination] = []
        for i in 0..<5 {
            var destination = Destination.fixture(sourceID: i < 3 ? one.id : two.id, workspaceID: one.workspaceID, id: "d\(i)")
            destination.name = "Dest \(i)"
            destination.enabled = i != 1
            destination.settings = ["apiKey": .string("key-\(i)"), "n": .number(Double(i)), "café": "é"]
            try await store.createDestination(destination, audit: [])
            made.append(destination)
        }
        // Then one reads back as stored: its fields, and settings text that parses to the settings
        let stored = try #require(try await store.storedDestination(id: "d1"))
        #expect(stored.id == "d1" && stored.sourceID == one.id && stored.metadataID == made[1].metadataID)
        #expect(stored.name == "Dest 1" && stored.enabled == false)
        #expect(try JSONValue.parse(stored.settingsText).objectValue == made[1].settings)
        #expect(try await store.storedDestination(id: "missing") == nil)
        // And pages of them follow the parsed pages: same order, totals and source filter
        for (sourceID, page) in [(nil, PageRequest(count: 2, offset: 1)), (one.id, PageRequest(count: 2)), (two.id, PageRequest(count: 10))] {
            let parsed = try await store.listDestinations(sourceID: sourceID, page: page)
            let raw = try await store.listStoredDestinations(sourceID: sourceID, page: page)
            #expect(raw.items.map(\.id) == parsed.items.map(\.id))
            #expect(raw.totalEntries == parsed.totalEntries)
            for (r, p) in zip(raw.items, parsed.items) {
                #expect(r.name == p.name && r.enabled == p.enabled && r.sourceID == p.sourceID)
                #expect(try JSONValue.parse(r.settingsText).objectValue == p.settings)
            }
        }
        // And an update shows in the stored text at once
        _ = try await store.updateDestination(id: "d0") { current in
            var updated = current
            updated.settings["apiKey"] = "rotated"
            return (updated, [])
        }
        let updated = try #require(try await store.storedDestination(id: "d0"))
        #expect(try JSONValue.parse(updated.settingsText)["apiKey"] == "rotated")
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentWritesThatFailLeaveNothingAndTheOthersLand(kind: StoreKind) async throws {
        let store = try await kind.make()
        let source = try await storedSource(store)
        // Creates at once (on SQLite they share commits), every third for a source that does not exist, each with its
        // audit event
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<30 {
                group.addTask {
                    let sourceID = i.isMultiple(of: 3) ? "missing-source" : source.id
                    let destination = Destination.fixture(sourceID: sourceID, workspaceID: source.workspaceID, id: "d\(i)")
                    do {
                        try await store.createDestination(destination, audit: [audit("Destination Created", "d\(i)", resourceType: "destination")])
                        return (i, true)
                    } catch StoreError.notFound {
                        return (i, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        let landed = Set((0..<30).filter { !$0.isMultiple(of: 3) }.map { "d\($0)" })
        #expect(Set(results.filter(\.value).map { "d\($0.key)" }) == landed)
        let stored = try await store.listDestinations(sourceID: nil, page: PageRequest(count: 100, offset: 0))
        #expect(Set(stored.items.map(\.id)) == landed)
        let audited = try await store.listAuditEvents(filter: AuditFilter(resourceType: "destination"), page: PageRequest(count: 100, offset: 0))
        #expect(Set(audited.items.map(\.resourceID)) == landed)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func deletingASourceCascades(kind: StoreKind) async throws {
        let store = try await kind.make()
        var source = Source.fixture()
        source.workspaceID = try await store.workspace().id
        try await store.createSource(source, audit: [])
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        let subscription = Subscription(
            id: Identifier.make(), destinationID: destination.id, name: "s", actionID: "a", actionSlug: "send", trigger: "type = \"track\"",
            enabled: true, settings: [:], modelID: "", createdAt: .now, updatedAt: .now)
        try await store.createSubscription(subscription, audit: [])
        try await store.deleteSource(id: source.id) { source, destinations in
            #expect(destinations.map(\.id) == [destination.id])
            return [AuditEvent(timestamp: .now, type: "Source Deleted", actor: "t", resourceID: source.id, resourceType: "source", resourceName: "")]
        }
        #expect(try await store.destination(id: destination.id) == nil)
        #expect(try await store.subscription(destinationID: destination.id, id: subscription.id) == nil)
        #expect(try await store.source(writeKey: source.writeKeys[0]) == nil)
        let audit = try await store.listAuditEvents(filter: AuditFilter(), page: PageRequest(count: 10))
        #expect(audit.items.map(\.type) == ["Source Deleted"])
        await #expect(throws: StoreError.notFound(resource: "source", id: source.id)) {
            try await store.deleteSource(id: source.id) { _, _ in [] }
        }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func missingParentsAreNotFound(kind: StoreKind) async throws {
        let store = try await kind.make()
        // The Public API's create answers this as the missing sourceId (it does not read the source first).
        await #expect(throws: StoreError.notFound(resource: "source", id: "nope")) {
            try await store.createDestination(Destination.fixture(sourceID: "nope"), audit: [])
        }
        await #expect(throws: StoreError.notFound(resource: "destination", id: "nope")) {
            _ = try await store.updateDestination(id: "nope") { ($0, []) }
        }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func failedTransformChangesNothing(kind: StoreKind) async throws {
        struct Refused: Error {}
        let store = try await kind.make()
        var source = Source.fixture()
        source.workspaceID = try await store.workspace().id
        try await store.createSource(source, audit: [])
        await #expect(throws: Refused.self) {
            _ = try await store.updateSource(id: source.id) { _ in throw Refused() }
        }
        #expect(try await store.source(id: source.id) == source)
        try await store.close()
    }
}

@Suite struct SQLiteFileTests {
    @Test func migrationsRunOnANewFileAndAgainOnAnExistingOne() async throws {
        let path = temporaryPath()
        // Given a new file
        let first = try SQLiteStore(path: path)
        let migrations = try await first.appliedMigrations()
        #expect(
            migrations == sqliteMigrations)
        let workspace = try await first.workspace()
        var source = Source.fixture()
        source.workspaceID = workspace.id
        try await first.createSource(source, audit: [])
        try await first.close()
        // When it is opened again
        let second = try SQLiteStore(path: path)
        // Then nothing is migrated twice and everything is still there
        #expect(try await second.appliedMigrations() == migrations)
        #expect(try await second.workspace() == workspace)
        #expect(try await second.source(id: source.id) == source)
        try await second.close()
    }

    @Test func unopenableFileIsUnavailable() async throws {
        #expect(throws: StoreError.self) { try SQLiteStore(path: "/nonexistent-folder/x/y.sqlite") }
    }
}
