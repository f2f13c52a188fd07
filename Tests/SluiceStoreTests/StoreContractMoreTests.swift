import Foundation
import SluiceCore
import Testing

/// A stored source for a test, in the store's workspace.
func storedSource(_ store: any Store, slug: String = "web") async throws -> Source {
    var source = Source.fixture(slug: slug)
    source.workspaceID = try await store.workspace().id
    try await store.createSource(source, audit: [])
    return source
}

func subscriptionFixture(destinationID: String, trigger: String = "type = \"track\"") -> Subscription {
    Subscription(
        id: Identifier.make(), destinationID: destinationID, name: "s", actionID: "a", actionSlug: "send", trigger: trigger,
        enabled: true, settings: ["url": "https://example.com"], modelID: "", createdAt: Date(timeIntervalSince1970: 1_700_000_000),
        updatedAt: Date(timeIntervalSince1970: 1_700_000_000))
}

func audit(_ type: String, _ id: String, resourceType: String = "source", at seconds: Double = 1_700_000_000) -> AuditEvent {
    AuditEvent(
        timestamp: Date(timeIntervalSince1970: seconds), type: type, actor: "test", resourceID: id, resourceType: resourceType,
        resourceName: "n")
}

func incoming(_ sourceID: String, _ n: Int, at date: Date = Date(timeIntervalSince1970: 1_700_000_000)) -> IncomingEvent {
    IncomingEvent(sourceID: sourceID, messageID: "m\(n)", receivedAt: date, body: Array("{\"type\":\"track\",\"n\":\(n)}".utf8))
}

/// Routes every one of `pending` to one subscription (`d`/`s`) through `store`.
func routeToOneSubscription(_ pending: [PendingEvent], through store: any Store) async throws {
    try await store.route(
        consumed: pending.map(\.seq),
        jobs: pending.map { NewDeliveryJob(eventSeq: $0.seq, destinationID: "d", subscriptionID: "s", event: $0.event) })
}

/// Sets `settings["k<i>"] = i` for each `i` below `count`, every update a task of its own, the
/// updates spread over `stores` in turn (two stores on one database stand for two processes).
func updateSettingsConcurrently(destinationID: String, count: Int, over stores: [any Store]) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<count {
            let store = stores[i % stores.count]
            group.addTask {
                _ = try await store.updateDestination(id: destinationID) { current in
                    var next = current
                    next.settings["k\(i)"] = .number(Double(i))
                    return (next, [])
                }
            }
        }
        try await group.waitForAll()
    }
}

/// One worker per entry of `stores` claims jobs `limit` at a time until none is left; returns every id claimed.
func claimUntilEmpty(workers stores: [any Store], now: Date, limit: Int) async throws -> [Int64] {
    try await withThrowingTaskGroup(of: [Int64].self) { group in
        for store in stores {
            group.addTask {
                var ids: [Int64] = []
                while true {
                    let jobs = try await store.claimJobs(now: now, limit: limit, lease: .seconds(60))
                    if jobs.isEmpty { return ids }
                    ids += jobs.map(\.id)
                }
            }
        }
        var all: [Int64] = []
        for try await ids in group { all += ids }
        return all
    }
}

/// The rest of the store's contract: every engine passes the same tests.
@Suite struct StoreContractMoreTests {
    @Test(arguments: StoreKind.allCases)
    func tokensAreListedAndRevoked(kind: StoreKind) async throws {
        let store = try await kind.make()
        let token = APIToken(
            id: Identifier.make(), hash: String(repeating: "a", count: 64), readOnly: true, createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        try await store.createToken(token, audit: [audit("Access Token Created", token.id, resourceType: "token")])
        #expect(try await store.token(hash: token.hash) == token)
        #expect(try await store.listTokens() == [token])
        #expect(try await store.tokenCount() == 1)
        // The same hash twice is a conflict
        await #expect(throws: StoreError.self) {
            try await store.createToken(APIToken(id: Identifier.make(), hash: token.hash, readOnly: false, createdAt: .now), audit: [])
        }
        try await store.deleteToken(id: token.id, audit: [audit("Access Token Deleted", token.id, resourceType: "token")])
        #expect(try await store.token(hash: token.hash) == nil)
        #expect(try await store.tokenCount() == 0)
        await #expect(throws: StoreError.notFound(resource: "token", id: token.id)) {
            try await store.deleteToken(id: token.id, audit: [])
        }
        let types = try await store.listAuditEvents(filter: AuditFilter(resourceType: "token"), page: PageRequest(count: 10)).items.map(\.type)
        #expect(types == ["Access Token Deleted", "Access Token Created"])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func writeKeysRotateThroughUpdates(kind: StoreKind) async throws {
        let store = try await kind.make()
        let source = try await storedSource(store)
        let old = source.writeKeys[0]
        let new = Identifier.writeKey()
        // When a key is added, both work
        _ = try await store.updateSource(id: source.id) { current in
            var next = current
            next.writeKeys.append(new)
            return (next, [])
        }
        #expect(try await store.source(writeKey: old)?.id == source.id)
        #expect(try await store.source(writeKey: new)?.writeKeys == [old, new])
        // When the old one is removed, only the new one works
        _ = try await store.updateSource(id: source.id) { current in
            var next = current
            next.writeKeys = [new]
            return (next, [])
        }
        #expect(try await store.source(writeKey: old) == nil)
        #expect(try await store.source(writeKey: new)?.writeKeys == [new])
        // A key another source holds is a conflict, and changes nothing
        let other = try await storedSource(store, slug: "other")
        await #expect(throws: StoreError.self) {
            _ = try await store.updateSource(id: other.id) { current in
                var next = current
                next.writeKeys.append(new)
                next.name = "changed"
                return (next, [])
            }
        }
        #expect(try await store.source(id: other.id) == other)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func auditTrailFiltersAndPages(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.recordAudit([
            audit("A", "r1", at: 1_700_000_000), audit("B", "r2", resourceType: "destination", at: 1_700_000_100),
            audit("C", "r1", at: 1_700_000_200),
        ])
        let all = try await store.listAuditEvents(filter: AuditFilter(), page: PageRequest(count: 2))
        #expect(all.items.map(\.type) == ["C", "B"])
        #expect(all.totalEntries == 3)
        #expect(all.next != nil)
        let r1 = try await store.listAuditEvents(filter: AuditFilter(resourceID: "r1"), page: PageRequest(count: 10))
        #expect(r1.items.map(\.type) == ["C", "A"])
        let destinations = try await store.listAuditEvents(filter: AuditFilter(resourceType: "destination"), page: PageRequest(count: 10))
        #expect(destinations.items.map(\.type) == ["B"])
        let window = try await store.listAuditEvents(
            filter: AuditFilter(startTime: Date(timeIntervalSince1970: 1_700_000_050), endTime: Date(timeIntervalSince1970: 1_700_000_200)),
            page: PageRequest(count: 10))
        #expect(window.items.map(\.type) == ["C", "B"])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func importedCatalogIsReplaced(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.importedCatalog() == nil)
        try await store.saveImportedCatalog(Array("first".utf8), audit: [])
        try await store.saveImportedCatalog([0, 255, 1], audit: [audit("Catalog Imported", "catalog", resourceType: "catalog")])
        #expect(try await store.importedCatalog() == [0, 255, 1])
        #expect(
            try await store.appliedMigrations() == (kind == .postgres ? allMigrations : sqliteMigrations))
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func secretsSealedUnderAnotherKeyAreFoundWithoutParsing(kind: StoreKind) async throws {
        let store = try await kind.make()
        let source = try await storedSource(store)
        let own = SealedSecret.prefix + "k1:"
        // An empty store, and settings in clear or sealed under the key only, hold nothing under another key
        #expect(try await !store.holdsSecretsSealedUnderOtherKeys(than: "k1"))
        var destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        destination.settings = ["apiKey": .string(own + "AAAA"), "secretKey": .string(own + "BBBB"), "region": "eu"]
        try await store.createDestination(destination, audit: [])
        var subscription = subscriptionFixture(destinationID: destination.id)
        subscription.settings = ["password": .string(own + "CCCC"), "url": "https://example.com"]
        try await store.createSubscription(subscription, audit: [])
        #expect(try await !store.holdsSecretsSealedUnderOtherKeys(than: "k1"))
        // One value of a destination under another key is found, for every key but that one
        _ = try await store.updateDestination(id: destination.id) { current in
            var next = current
            next.settings["secretKey"] = .string(SealedSecret.prefix + "k0:DDDD")
            return (next, [])
        }
        #expect(try await store.holdsSecretsSealedUnderOtherKeys(than: "k1"))
        _ = try await store.updateDestination(id: destination.id) { current in
            var next = current
            next.settings["secretKey"] = .string(own + "DDDD")
            return (next, [])
        }
        #expect(try await !store.holdsSecretsSealedUnderOtherKeys(than: "k1"))
        // And so is one of a subscription
        _ = try await store.updateSubscription(destinationID: destination.id, id: subscription.id) { current in
            var next = current
            next.settings["password"] = .string(SealedSecret.prefix + "k2:EEEE")
            return (next, [])
        }
        #expect(try await store.holdsSecretsSealedUnderOtherKeys(than: "k1"))
        #expect(try await store.holdsSecretsSealedUnderOtherKeys(than: "k2"))
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func subscriptionsRoundTripAndUpdate(kind: StoreKind) async throws {
        let store = try await kind.make()
        let source = try await storedSource(store)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        let first = subscriptionFixture(destinationID: destination.id)
        let second = subscriptionFixture(destinationID: destination.id, trigger: "type = \"identify\"")
        try await store.createSubscription(first, audit: [])
        try await store.createSubscription(second, audit: [])
        #expect(try await store.subscription(destinationID: destination.id, id: first.id) == first)
        #expect(try await store.subscription(destinationID: "other", id: first.id) == nil)
        let page = try await store.listSubscriptions(destinationID: destination.id, page: PageRequest(count: 1))
        #expect(page.items == [first])
        #expect(page.totalEntries == 2)
        #expect(try await store.subscriptions(destinationIDs: [destination.id]) == [first, second])
        let updated = try await store.updateSubscription(destinationID: destination.id, id: second.id) { current in
            var next = current
            next.enabled = false
            next.settings = ["url": "https://example.org", "n": 2]
            return (next, [])
        }
        #expect(try await store.subscription(destinationID: destination.id, id: second.id) == updated)
        try await store.deleteSubscription(destinationID: destination.id, id: first.id) { _ in [] }
        #expect(try await store.subscriptions(destinationIDs: [destination.id]).map(\.id) == [second.id])
        await #expect(throws: StoreError.self) {
            try await store.createSubscription(subscriptionFixture(destinationID: "missing"), audit: [])
        }
        // Destinations list by source, and only enabled ones route
        var off = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        off.enabled = false
        try await store.createDestination(off, audit: [])
        #expect(try await store.listDestinations(sourceID: source.id, page: PageRequest(count: 10)).totalEntries == 2)
        #expect(try await store.listDestinations(sourceID: "nope", page: PageRequest(count: 10)).totalEntries == 0)
        #expect(try await store.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items.map(\.id) == [destination.id, off.id])
        #expect(try await store.enabledDestinations(sourceID: source.id).map(\.id) == [destination.id])
        // Routing asks for the kinds it delivers to: others are not read
        var other = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        other.metadataID = "other-kind"
        try await store.createDestination(other, audit: [])
        #expect(try await store.enabledDestinations(sourceID: source.id).map(\.id) == [destination.id, other.id])
        #expect(try await store.enabledDestinations(sourceID: source.id, metadataIDs: ["other-kind"]).map(\.id) == [other.id])
        #expect(
            try await store.enabledDestinations(sourceID: source.id, metadataIDs: [destination.metadataID, "x"]).map(\.id) == [destination.id])
        #expect(try await store.enabledDestinations(sourceID: source.id, metadataIDs: []).isEmpty)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func eventsAreRoutedOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.appendEvents((0..<5).map { incoming("src", $0) })
        let pending = try await store.pendingEvents(limit: 3)
        #expect(pending.map(\.event.messageID) == ["m0", "m1", "m2"])
        #expect(pending[0].event == incoming("src", 0))
        let jobs = pending.map { NewDeliveryJob(eventSeq: $0.seq, destinationID: "d", subscriptionID: "s", event: $0.event) }
        try await store.route(consumed: pending.map(\.seq), jobs: jobs)
        // Routing the same events again (another router that read them too) creates nothing
        try await store.route(consumed: pending.map(\.seq), jobs: jobs)
        let depth = try await store.queueDepth()
        #expect(depth.events == 2)
        #expect(depth.jobs == 3)
        let rest = try await store.pendingEvents(limit: 10)
        #expect(rest.map(\.event.messageID) == ["m3", "m4"])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func thePendingSpanCountsTheEventsWaitingToBeRouted(kind: StoreKind) async throws {
        let store = try await kind.make()
        // An empty queue spans nothing
        #expect(try await store.pendingEventSpan() == 0)
        try await store.appendEvents((0..<5).map { incoming("src", $0) })
        #expect(try await store.pendingEventSpan() == 5)
        // Routing in order takes from the front
        try await routeToOneSubscription(try await store.pendingEvents(limit: 2), through: store)
        #expect(try await store.pendingEventSpan() == 3)
        try await store.appendEvents((5..<7).map { incoming("src", $0) })
        #expect(try await store.pendingEventSpan() == 5)
        // An event routed ahead of older ones still counts (an upper bound), until those go too
        let rest = try await store.pendingEvents(limit: 10)
        try await routeToOneSubscription([rest[2]], through: store)
        #expect(try await store.queueDepth().events == 4)
        #expect(try await store.pendingEventSpan() == 5)
        try await routeToOneSubscription(rest.filter { $0.seq != rest[2].seq }, through: store)
        #expect(try await store.pendingEventSpan() == 0)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func filteredEventsAreCountedOnceWithTheirRouting(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.appendEvents((0..<4).map { incoming("src", $0) })
        let pending = try await store.pendingEvents(limit: 10)
        // Given three events filtered from destination d (two dropped, one sampled out) and one from e
        let filtered = [
            FilteredEvent(eventSeq: pending[0].seq, sourceID: "src", destinationID: "d", minute: 100, reason: "DROP"),
            FilteredEvent(eventSeq: pending[1].seq, sourceID: "src", destinationID: "d", minute: 100, reason: "DROP"),
            FilteredEvent(eventSeq: pending[2].seq, sourceID: "src", destinationID: "d", minute: 101, reason: "SAMPLE"),
            FilteredEvent(eventSeq: pending[3].seq, sourceID: "src", destinationID: "e", minute: 100, reason: "DROP"),
        ]
        // When they are routed, twice (as by two routers that read the same events)
        try await store.route(consumed: pending.map(\.seq), jobs: [], filtered: filtered)
        try await store.route(consumed: pending.map(\.seq), jobs: [], filtered: filtered)
        // Then each is counted once, by destination, reason and minute
        #expect(try await store.filteredCounts(sourceID: "src", destinationID: "d", minutes: 0..<1000) == ["DROP": 2, "SAMPLE": 1])
        #expect(try await store.filteredCounts(sourceID: "src", destinationID: "d", minutes: 101..<102) == ["SAMPLE": 1])
        #expect(try await store.filteredCounts(sourceID: "src", destinationID: "e", minutes: 0..<1000) == ["DROP": 1])
        #expect(try await store.filteredCounts(sourceID: "other", destinationID: "d", minutes: 0..<1000) == [:])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func destinationFiltersAreStoredWithTheirDestination(kind: StoreKind) async throws {
        let store = try await kind.make()
        let source = try await storedSource(store)
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        let created = Date(timeIntervalSince1970: 1_700_000_000.123)
        let filter = DestinationFilter(
            id: "f1", sourceID: source.id, destinationID: destination.id, condition: "type = \"track\"",
            actions: [["type": "SAMPLE", "percent": 0.5, "path": "userId"]], title: "half", description: nil, enabled: true,
            createdAt: created, updatedAt: created)
        var second = filter
        second.id = "f2"
        second.description = "drops"
        second.actions = [["type": "DROP"]]
        // When filters are added in one update
        let both = [filter, second]
        let updated = try await store.updateDestination(id: destination.id) { current in
            var next = current
            next.filters = both
            return (next, [])
        }
        // Then every reader sees them, in order, with their times to the millisecond
        #expect(updated.filters.map(\.id) == ["f1", "f2"])
        let read = try #require(try await store.destination(id: destination.id))
        #expect(read.filters == [filter, second])
        #expect(try await store.enabledDestinations(sourceID: source.id).first?.filters.map(\.id) == ["f1", "f2"])
        #expect(try await store.listDestinations(sourceID: nil, page: PageRequest(count: 10)).items.first?.filters.count == 2)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func jobsAreLeasedCompletedAndCounted(kind: StoreKind) async throws {
        let store = try await kind.make()
        let received = Date(timeIntervalSince1970: 1_700_000_000)
        try await store.appendEvents((0..<4).map { incoming("src", $0, at: received) })
        let pending = try await store.pendingEvents(limit: 10)
        try await routeToOneSubscription(pending, through: store)
        let now = received.addingTimeInterval(1)
        // Leased jobs are not handed out twice while the lease runs
        let first = try await store.claimJobs(now: now, limit: 3, lease: .seconds(60))
        #expect(first.count == 3)
        #expect(first.map(\.messageID) == ["m0", "m1", "m2"])
        #expect(first[0].body == incoming("src", 0).body)
        let second = try await store.claimJobs(now: now, limit: 10, lease: .seconds(60))
        #expect(second.map(\.messageID) == ["m3"])
        #expect(try await store.claimJobs(now: now, limit: 10, lease: .seconds(60)).isEmpty)
        // After the lease, they are handed out again
        let later = now.addingTimeInterval(61)
        #expect(try await store.claimJobs(now: later, limit: 10, lease: .seconds(60)).count == 4)
        // Completions: two finished, one retried later
        var counters = DeliveryCounters()
        counters.record(.succeeded, attempt: 1, receivedAt: received, finishedAt: now)
        let minute = DeliveryCounters.epochMinute(of: now)
        let retryAt = later.addingTimeInterval(30)
        try await store.complete(
            [.finished(jobID: first[0].id), .finished(jobID: first[1].id), .retry(jobID: first[2].id, attempts: 1, nextAttemptAt: retryAt)],
            metrics: [MetricsDelta(sourceID: "src", destinationID: "d", minute: minute, counters: counters)])
        try await store.complete([], metrics: [MetricsDelta(sourceID: "src", destinationID: "d", minute: minute, counters: counters)])
        #expect(try await store.queueDepth().jobs == 2)
        #expect(try await store.claimJobs(now: retryAt.addingTimeInterval(-1), limit: 10, lease: .seconds(60)).isEmpty)
        let retried = try await store.claimJobs(now: retryAt, limit: 10, lease: .seconds(60))
        #expect(retried.map(\.messageID).contains("m2"))
        #expect(retried.first { $0.messageID == "m2" }?.attempts == 1)
        let merged = try await store.deliveryCounters(sourceID: "src", destinationID: "d", minutes: minute..<(minute + 1))
        #expect(merged.successesOnFirstAttempt == 2)
        #expect(merged.timeToSuccess.count == 2)
        #expect(try await store.deliveryCounters(sourceID: "src", destinationID: "other", minutes: minute..<(minute + 1)) == DeliveryCounters())
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentClaimsNeverShareAJob(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.appendEvents((0..<200).map { incoming("src", $0) })
        let pending = try await store.pendingEvents(limit: 1000)
        try await routeToOneSubscription(pending, through: store)
        let now = Date(timeIntervalSince1970: 1_700_000_010)
        let claimed = try await claimUntilEmpty(workers: Array(repeating: store, count: 8), now: now, limit: 7)
        #expect(claimed.count == 200)
        #expect(Set(claimed).count == 200)
        try await store.close()
    }
}
