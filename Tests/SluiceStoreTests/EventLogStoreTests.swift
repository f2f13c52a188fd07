import Foundation
import SluiceCore
import Testing

/// The contract of the event log (#17), on every engine.
@Suite struct EventLogStoreTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    private func destination(_ store: any Store, source: Source? = nil) async throws -> Destination {
        var source = source
        if source == nil { source = try await storedSource(store) }
        guard let source else { throw CancellationError() }
        let destination = Destination.fixture(sourceID: source.id, workspaceID: source.workspaceID)
        try await store.createDestination(destination, audit: [])
        return destination
    }

    private func entry(
        _ destinationID: String, _ n: Int, status: DeliveryAttemptStatus = .delivered, user: String? = "u", request: LoggedRequest? = nil
    ) -> DeliveryAttempt {
        DeliveryAttempt(
            sourceID: "src", destinationID: destinationID, subscriptionID: "s", messageID: "m\(n)", eventType: "track", eventName: "E\(n)",
            userID: user, anonymousID: nil, attempt: 1, attemptedAt: Self.start.addingTimeInterval(Double(n)), status: status,
            reason: status == .delivered ? "HTTP 200" : "HTTP 400", request: request)
    }

    private func request(key: String, events: Int, body: String?, status: Int? = 200) -> LoggedRequest {
        LoggedRequest(
            key: key, method: "POST", url: "http://x/hook", events: events, body: body.map { Array($0.utf8) }, bodyTruncated: false,
            status: status, response: status == nil ? nil : Array("ok".utf8), durationMillis: 12)
    }

    private func list(_ store: any Store, _ filter: DeliveryAttemptFilter, count: Int = 20) async throws -> [String] {
        try await store.deliveryAttempts(filter, page: PageRequest(count: count)).items.map(\.messageID)
    }

    @Test(arguments: StoreKind.allCases)
    func entriesAreKeptWithTheirRequestAndFoundByWhatTheyHold(kind: StoreKind) async throws {
        let store = try await kind.make()
        let d = try await destination(store)
        let batch = request(key: "b1", events: 2, body: "[1,2]")
        var second = batch
        second.body = nil
        try await store.complete(
            [], metrics: [],
            log: [
                entry(d.id, 0, request: request(key: "r0", events: 1, body: "{\"a\":1}")),
                entry(d.id, 1, status: .discarded, user: "v", request: batch),
                entry(d.id, 2, user: nil, request: second),
                entry(d.id, 3, status: .expired, request: nil),
                // A destination that does not exist keeps nothing, and fails nothing
                entry("gone", 4),
            ])
        let all = try await store.deliveryAttempts(DeliveryAttemptFilter(destinationID: d.id), page: PageRequest(count: 10))
        #expect(all.totalEntries == 4)
        #expect(all.items.map(\.messageID) == ["m3", "m2", "m1", "m0"])
        // What was stored comes back as it was
        let first = try #require(all.items.last)
        #expect(first.request == request(key: "r0", events: 1, body: "{\"a\":1}"))
        #expect(first.eventName == "E0")
        #expect(first.attemptedAt == Self.start)
        #expect(first.status == .delivered)
        #expect(all.items[0].request == nil)
        #expect(all.items[0].reason == "HTTP 400")
        // A batch's body is shown on each of its events
        #expect(all.items[1].request?.body == Array("[1,2]".utf8))
        #expect(all.items[2].request?.body == Array("[1,2]".utf8))
        // Searches narrow
        #expect(try await list(store, DeliveryAttemptFilter(destinationID: d.id, messageID: "m2")) == ["m2"])
        #expect(try await list(store, DeliveryAttemptFilter(destinationID: d.id, userID: "v")) == ["m1"])
        #expect(try await list(store, DeliveryAttemptFilter(destinationID: d.id, status: .delivered)) == ["m2", "m0"])
        let window = DeliveryAttemptFilter(
            destinationID: d.id, startTime: Self.start.addingTimeInterval(1), endTime: Self.start.addingTimeInterval(2))
        #expect(try await list(store, window) == ["m2", "m1"])
        #expect(try await list(store, DeliveryAttemptFilter(destinationID: "gone")) == [])
        let paged = try await store.deliveryAttempts(DeliveryAttemptFilter(destinationID: d.id), page: PageRequest(count: 3, offset: 3))
        #expect(paged.items.map(\.messageID) == ["m0"])
        // Deleting the destination deletes its log
        try await store.deleteDestination(id: d.id) { _ in [] }
        #expect(try await list(store, DeliveryAttemptFilter(destinationID: d.id)) == [])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func pruningKeepsTheRetentionAndTheNewestEntriesOfEachDestination(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = try await destination(store)
        let source: Source = try #require(try await store.source(id: a.sourceID))
        let b = try await destination(store, source: source)
        try await store.complete([], metrics: [], log: (0..<6).map { entry(a.id, $0) } + (0..<2).map { entry(b.id, $0) })
        // Older than the cutoff goes: m0 of both
        #expect(try await store.pruneDeliveryAttempts(before: Self.start.addingTimeInterval(1), keepPerDestination: 100) == 2)
        // Beyond the newest three of a destination goes: m1, m2 of a; b keeps its one
        #expect(try await store.pruneDeliveryAttempts(before: Self.start, keepPerDestination: 3) == 2)
        #expect(try await list(store, DeliveryAttemptFilter(destinationID: a.id)) == ["m5", "m4", "m3"])
        #expect(try await list(store, DeliveryAttemptFilter(destinationID: b.id)) == ["m1"])
        #expect(try await store.pruneDeliveryAttempts(before: Self.start, keepPerDestination: 3) == 0)
        try await store.close()
    }
}
