import Foundation
import SluiceCore
import Testing

@testable import SluiceDelivery

@Suite struct WebhookBatchingTests {
    let webhook = WebhookIntegration()

    @Test(arguments: [
        ([:] as [String: JSONValue], 1),
        (["enable_batching": false, "batch_size": 50], 1),
        (["enable_batching": true], 1000),
        (["enable_batching": true, "batch_size": 0], 1000),
        (["enable_batching": true, "batch_size": 25], 25),
        (["enable_batching": true, "batch_size": 2.9], 2),
        (["enable_batching": true, "batch_size": 10_000], 4000),
        (["enable_batching": true, "batch_size": -3], 1000),
    ])
    func batchSizeFollowsTheSettings(settings: [String: JSONValue], expected: Int) {
        // Given batching settings
        // When the batch size is asked for
        // Then it is the setting within Segment's bounds, 1 without batching
        #expect(webhook.batchSize(for: Fixtures.target(settings)) == expected)
    }

    @Test func batchesAreSplitAtBatchSize() async throws {
        // Given 5 events and a batch size of 2
        let recorder = RecordingSender()
        let events = (0..<5).map { Fixtures.event($0) }
        let target = Fixtures.target(["enable_batching": true, "batch_size": 2])

        // When they are delivered
        let outcomes = await webhook.deliver(events, to: target, sender: recorder.sender)

        // Then three requests carry JSON arrays of 2, 2 and 1 events, in order
        #expect(outcomes == Array(repeating: .success(status: 200), count: 5))
        let firstID = { (body: JSONValue) in body.arrayValue?.first?["messageId"]?.stringValue ?? "" }
        let bodies = recorder.requests.compactMap(\.json).sorted { firstID($0) < firstID($1) }
        #expect(bodies == [.array([events[0], events[1]]), .array([events[2], events[3]]), .array([events[4]])])
    }

    @Test func batchRequestsCarryABatchIdNotAMessageId() throws {
        // Given a batch of two events
        let target = Fixtures.target(["enable_batching": true, "batch_size": 10])

        // When it is planned twice
        let first = try webhook.requests(for: [Fixtures.event(1), Fixtures.event(2)], to: target)[0].request.get()
        let again = try webhook.requests(for: [Fixtures.event(1), Fixtures.event(2)], to: target)[0].request.get()
        let reordered = try webhook.requests(for: [Fixtures.event(2), Fixtures.event(1)], to: target)[0].request.get()

        // Then it has a batch id derived from the message ids: the same for the same events, in order
        #expect(first.header("X-Segment-Message-Id") == nil)
        let id = try #require(first.header("X-Segment-Batch-Id"))
        #expect(id.count == 32 && id == WebhookIntegration.batchID(messageIDs: ["m-1", "m-2"]))
        #expect(again.header("X-Segment-Batch-Id") == id)
        #expect(reordered.header("X-Segment-Batch-Id") != id)
    }

    @Test func batchesAreGroupedByUrlMethodAndHeaders() throws {
        // Given a URL and a header that come from the event
        let target = Fixtures.target([
            "enable_batching": true,
            "url": ["@template": "http://127.0.0.1:9/{{userId}}"],
            "headers": ["X-Event": ["@path": "$.event"]],
        ])
        let events = [
            Fixtures.event(0, userID: "a"), Fixtures.event(1, userID: "b"), Fixtures.event(2, userID: "a"),
            Fixtures.event(3, userID: "a", event: "Other"),
        ]

        // When they are planned
        let plan = webhook.requests(for: events, to: target)

        // Then events sharing URL, method and headers share a request, groups in order of first appearance
        #expect(plan.map(\.eventIndexes) == [[0, 2], [1], [3]])
        let urls = try plan.map { try $0.request.get().url }
        #expect(urls == ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b", "http://127.0.0.1:9/a"])
    }

    @Test func everyEventOfABatchGetsItsRequestsOutcome() async {
        // Given a receiver that refuses the batch for user b and fails the one for user c
        let recorder = RecordingSender { request in
            if request.url.hasSuffix("/b") { return HTTPResponseSpec(status: 400) }
            if request.url.hasSuffix("/c") { return HTTPResponseSpec(status: 503) }
            return HTTPResponseSpec(status: 204)
        }
        let target = Fixtures.target(["enable_batching": true, "url": ["@template": "http://127.0.0.1:9/{{userId}}"]])
        let users = ["a", "b", "c", "b", "a"]

        // When the events are delivered
        let events = users.enumerated().map { Fixtures.event($0.offset, userID: $0.element) }
        let outcomes = await webhook.deliver(events, to: target, sender: recorder.sender)

        // Then each event has its batch's outcome, in the events' order
        #expect(
            outcomes == [
                .success(status: 204), .discarded(reason: "HTTP 400"), .retryable(reason: "HTTP 503"), .discarded(reason: "HTTP 400"),
                .success(status: 204),
            ])
        #expect(recorder.requests.count == 3)
    }

    @Test func missingDataInABatchIsAnEmptyObject() throws {
        // Given data that resolves to nothing for one event
        let target = Fixtures.target(["enable_batching": true, "data": ["@path": "$.properties.only"]])
        var withValue = Fixtures.event(1)
        if case .object(var fields) = withValue {
            fields["properties"] = ["only": "here"]
            withValue = .object(fields)
        }

        // When they are planned
        let request = try webhook.requests(for: [withValue, Fixtures.event(2)], to: target)[0].request.get()

        // Then the body holds the value and an empty object
        #expect(request.json == ["here", [:]])
    }
}
