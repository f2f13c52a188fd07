import Foundation
import SluiceCore
import Synchronization
import Testing

@testable import SluiceDelivery

@Suite struct WebhookIntegrationTests {
    let webhook = WebhookIntegration()

    @Test func defaultDataIsTheWholeEvent() async throws {
        // Given a subscription with the default settings
        let recorder = RecordingSender()
        let event = Fixtures.event(1)

        // When one event is delivered
        let outcomes = await webhook.deliver([event], to: Fixtures.target(), sender: recorder.sender)

        // Then one POST carries the event as JSON, with its messageId in a header
        #expect(outcomes == [.success(status: 200)])
        let request = try #require(recorder.requests.first)
        #expect(recorder.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.url == "https://hooks.example.com/in")
        #expect(request.json == event)
        #expect(request.body == JSONWriter.encode(event))
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("User-Agent") == "Sluice")
        #expect(request.header("X-Segment-Message-Id") == "m-1")
        #expect(request.header("X-Signature") == nil)
    }

    @Test func missingDataSettingMeansTheWholeEvent() throws {
        // Given settings with no data key at all
        let target = DeliveryTarget(actionSlug: "send", subscriptionSettings: ["url": "http://127.0.0.1:9/x"], destinationSettings: [:])

        // When the request is planned
        let plan = webhook.requests(for: [Fixtures.event(1)], to: target)

        // Then it is a POST of the whole event
        let request = try #require(try plan.first?.request.get())
        #expect(request.method == "POST")
        #expect(request.json == Fixtures.event(1))
    }

    @Test func aStoredEventIsSentAsStoredWhenDataIsTheWholeEvent() throws {
        // Given an event stored with its own spacing and key order, parsed only for what the webhook reads
        let stored = Array(#"{ "type": "track", "userId": "u1", "messageId": "m-1", "properties": {"b": 1, "a": [2.50]} }"#.utf8)
        let value = try JSONValue.parse(stored, members: JSONMemberNames(["messageId"]))
        let event = DeliveryEvent(stored: stored, value: value)

        // When one request and one batch are planned, with data the whole event
        let single = try #require(try webhook.requests(for: [event], to: Fixtures.target()).first?.request.get())
        let batch = try #require(
            try webhook.requests(for: [event, event], to: Fixtures.target(["enable_batching": true])).first?.request.get())

        // Then the body is the stored bytes (the same JSON as the event's value would give), as a batch's elements too
        #expect(single.body == stored)
        #expect(single.header("X-Segment-Message-Id") == "m-1")
        #expect(batch.body == Array("[".utf8) + stored + Array(",".utf8) + stored + Array("]".utf8))

        // And any other data is resolved from the parsed value: here it holds only messageId
        let mapped = try #require(
            try webhook.requests(for: [event], to: Fixtures.target(["data": ["id": ["@path": "$.messageId"], "user": ["@path": "$.userId"]]]))
                .first?.request.get())
        #expect(mapped.json == ["id": "m-1"])
    }

    @Test func anEventPastTheMappingsBudgetIsResolvedNotSentAsStored() throws {
        // Given events stored with their own spacing, one a byte under the mappings' output budget (4 MB) and one at it
        func event(size: Int) throws -> DeliveryEvent {
            let head = #"{ "type": "track", "messageId": "m-big", "properties": {"p": ""#
            let tail = #""} }"#
            let stored = Array((head + String(repeating: "x", count: size - head.utf8.count - tail.utf8.count) + tail).utf8)
            #expect(stored.count == size)
            return DeliveryEvent(stored: stored, value: try JSONValue.parse(stored))
        }
        let under = try event(size: Mapping.maxResolvedBytes - 1)
        let at = try event(size: Mapping.maxResolvedBytes)

        // When a request is planned for each, with data the whole event
        func body(_ event: DeliveryEvent) throws -> [UInt8] {
            try #require(try webhook.requests(for: [event], to: Fixtures.target()).first?.request.get()).body
        }

        // Then the one that fits is sent as stored, and the other is what resolving the data gives, as for any
        // mapping: its stored bytes would be more than resolving may produce
        #expect(try body(under) == under.stored)
        let resolved = try body(at)
        #expect(resolved != at.stored)
        #expect(try JSONValue.parse(resolved) == (Mapping.resolve(["@path": "$."], in: at.value) ?? [:]))
    }

    @Test func eventMembersAreWhatTheSettingsRead() {
        let cases: [([String: JSONValue], Set<String>?)] = [
            ([:], ["messageId"]),  // url and method literals, data the whole event (sent as stored)
            (
                ["url": ["@template": "https://hooks.example.com/{{userId}}"], "headers": ["X-Trace": ["@path": "$.context.ip"]]],
                ["messageId", "userId", "context"]
            ),
            (["data": ["n": ["@path": "$.properties.n"], "t": ["@path": "$.type"]]], ["messageId", "properties", "type"]),
            (["data": ["all": ["@path": "$."]]], nil),
            (["headers": ["@case": ["mode": "upper", "value": "x"]]], nil),
        ]
        for (settings, members) in cases {
            #expect(webhook.eventMembers(for: Fixtures.target(settings)) == members, "\(settings)")
        }
        #expect(webhook.eventMembers(for: Fixtures.target(action: "other")) == [])
    }

    @Test func anEventParsedForItsMembersIsPlannedAsTheWholeEvent() throws {
        // Given settings reading parts of the event, and events parsed whole and for those parts only
        let target = Fixtures.target([
            "url": ["@template": "https://hooks.example.com/{{userId}}"], "method": ["@path": "$.properties.method"],
            "headers": ["X-Event": ["@path": "$.event"]], "data": ["n": ["@path": "$.properties.n"], "kind": ["@path": "$.type"]],
        ])
        let members = try #require(webhook.eventMembers(for: target))
        var events = (1...3).map { Fixtures.event($0) }
        events[1] = ["type": "track", "event": "Signed Up", "userId": "u2", "messageId": "m-2", "properties": ["n": 2, "method": "PUT"]]
        let whole = events.map(DeliveryEvent.init)
        let partial = try events.map { event in
            let stored = JSONWriter.encode(event)
            return DeliveryEvent(stored: stored, value: try JSONValue.parse(stored, members: JSONMemberNames(members)))
        }

        // Then they plan the same requests
        #expect(webhook.requests(for: partial, to: target) == webhook.requests(for: whole, to: target))
        #expect(try webhook.requests(for: partial, to: target)[1].request.get().method == "PUT")
    }

    @Test func dataAndHeadersAreMappedPerEvent() throws {
        // Given data and headers built from each event with mapping directives
        let target = Fixtures.target([
            "method": "put",
            "data": [
                "name": ["@path": "$.event"],
                "who": ["@template": "user {{userId}}"],
                "count": ["@path": "$.properties.n"],
                "missing": ["@path": "$.properties.nothing"],
                "fixed": "literal",
            ],
            "headers": [
                "Authorization": "Bearer abc",
                "X-User": ["@path": "$.userId"],
                "X-Count": ["@path": "$.properties.n"],
                "X-Gone": ["@path": "$.nothing"],
                "Content-Type": "application/vnd.example+json",
            ],
        ])

        // When two events are planned
        let plan = webhook.requests(for: [Fixtures.event(1, userID: "ann"), Fixtures.event(2, userID: "bob", event: "Viewed")], to: target)

        // Then each request carries its own mapped body and headers; absent values are left out
        let first = try plan[0].request.get()
        let second = try plan[1].request.get()
        #expect(first.method == "PUT")
        #expect(first.json == ["name": "Order Completed", "who": "user ann", "count": 1, "fixed": "literal"])
        #expect(second.json == ["name": "Viewed", "who": "user bob", "count": 2, "fixed": "literal"])
        #expect(first.header("Authorization") == "Bearer abc")
        #expect(first.header("X-User") == "ann" && second.header("X-User") == "bob")
        #expect(first.header("X-Count") == "1")
        #expect(first.header("X-Gone") == nil)
        #expect(first.header("Content-Type") == "application/vnd.example+json")
        #expect(first.headers.filter { $0.name.lowercased() == "content-type" }.count == 1)
    }

    @Test func reservedHeadersCannotBeSet() throws {
        // Given headers that try to set the transport's and Sluice's own
        let target = Fixtures.target(
            ["headers": ["Host": "evil", "Content-Length": "1", "X-Signature": "forged", "x-segment-message-id": "other"]],
            destination: ["sharedSecret": "s3cret"]
        )

        // When a request is planned
        let request = try webhook.requests(for: [Fixtures.event(1)], to: target)[0].request.get()

        // Then none of them is sent as given
        #expect(request.header("Host") == nil && request.header("Content-Length") == nil)
        #expect(request.header("X-Segment-Message-Id") == "m-1")
        #expect(request.header("X-Signature") == WebhookIntegration.signature(body: request.body, secret: "s3cret"))
        #expect(request.headers.filter { $0.name.lowercased() == "x-signature" }.count == 1)
    }

    @Test(
        arguments: [
            ([:] as [String: JSONValue], "invalid settings: url is required"),
            (["url": ["@path": "$.properties.nothing"]], "invalid settings: url is required"),
            (["url": "ftp://files.example.com/x"], "invalid settings: url must be an absolute http or https URL"),
            (["url": "/relative/path"], "invalid settings: url must be an absolute http or https URL"),
            (["url": "http://h.example.com", "method": "GET"], "invalid settings: method must be POST, PUT or PATCH"),
            (["url": "http://h.example.com", "headers": "x"], "invalid settings: headers must be an object"),
            (["url": "http://h.example.com", "headers": ["Bad Name": "x"]], "invalid settings: header names must be HTTP tokens"),
            (["url": "http://h.example.com", "headers": ["X-A": "line\r\nInjected: 1"]], "invalid settings: header X-A must be printable ASCII"),
            (["url": "http://h.example.com", "headers": ["X-A": ["@path": "$.properties"]]], "invalid settings: header X-A must be a string"),
        ] as [([String: JSONValue], String)])
    func unusableSettingsDiscardTheEvent(settings: [String: JSONValue], reason: String) async {
        // Given settings that cannot make a request
        let recorder = RecordingSender()
        let target = DeliveryTarget(actionSlug: "send", subscriptionSettings: settings, destinationSettings: [:])

        // When an event is delivered
        let outcomes = await webhook.deliver([Fixtures.event(1)], to: target, sender: recorder.sender)

        // Then nothing is sent and the event is discarded with a reason that names no value
        #expect(recorder.requests.isEmpty)
        #expect(outcomes == [.discarded(reason: reason)])
    }

    @Test func oneBadEventDoesNotStopTheOthers() async {
        // Given a URL taken from the event, which one event lacks
        let recorder = RecordingSender()
        let target = Fixtures.target(["url": ["@path": "$.properties.url"]])
        var good = Fixtures.event(1)
        if case .object(var fields) = good {
            fields["properties"] = ["url": "http://127.0.0.1:9/hook"]
            good = .object(fields)
        }

        // When both are delivered
        let outcomes = await webhook.deliver([Fixtures.event(0), good], to: target, sender: recorder.sender)

        // Then the bad one is discarded and the good one sent
        #expect(outcomes == [.discarded(reason: "invalid settings: url is required"), .success(status: 200)])
        #expect(recorder.requests.map(\.url) == ["http://127.0.0.1:9/hook"])
    }

    @Test func eachEventsURLIsCheckedWhateverTheEventBeforeIt() async {
        // Given a URL taken from the event: usable, then not, then usable again
        let recorder = RecordingSender()
        let target = Fixtures.target(["url": ["@path": "$.properties.url"]])
        let events = ["http://127.0.0.1:9/hook", "ftp://127.0.0.1:9/hook", "http://127.0.0.1:9/hook", "/hook"].enumerated().map {
            offset, url -> JSONValue in
            guard case .object(var fields) = Fixtures.event(offset) else { return Fixtures.event(offset) }
            fields["properties"] = ["url": .string(url)]
            return .object(fields)
        }

        // When they are delivered
        let outcomes = await webhook.deliver(events, to: target, sender: recorder.sender)

        // Then only the usable ones are sent: a URL checked for one event lets no other through
        let refused = DeliveryOutcome.discarded(reason: "invalid settings: url must be an absolute http or https URL")
        #expect(outcomes == [.success(status: 200), refused, .success(status: 200), refused])
        #expect(recorder.requests.map(\.url) == ["http://127.0.0.1:9/hook", "http://127.0.0.1:9/hook"])
    }

    @Test func unknownActionIsDiscarded() async {
        // Given a subscription on an action the integration does not have
        let recorder = RecordingSender()

        // When an event is delivered
        let outcomes = await webhook.deliver([Fixtures.event(1)], to: Fixtures.target(action: "sendBatch"), sender: recorder.sender)

        // Then it is discarded without a request
        #expect(outcomes == [.discarded(reason: "invalid settings: unknown action sendBatch")])
        #expect(recorder.requests.isEmpty)
    }

    @Test func singleEventsAreSentOnePerRequestInParallel() async {
        // Given 20 events without batching
        let recorder = RecordingSender()
        let events = (0..<20).map { Fixtures.event($0) }

        // When they are delivered
        let outcomes = await webhook.deliver(events, to: Fixtures.target(), sender: recorder.sender)

        // Then each went in its own request, with its own id
        #expect(outcomes.count == 20 && outcomes.allSatisfy(\.isSuccess))
        #expect(Set(recorder.requests.compactMap { $0.header("X-Segment-Message-Id") }) == Set((0..<20).map { "m-\($0)" }))
    }

    @Test func requestsInFlightAreBounded() async {
        // Given a slow receiver that counts the requests it holds at once
        let counts = Mutex((now: 0, most: 0))
        let sender = DeliverySender { _ in
            counts.withLock {
                $0.now += 1; $0.most = max($0.most, $0.now)
            }
            try await Task.sleep(for: .milliseconds(20))
            counts.withLock { $0.now -= 1 }
            return HTTPResponseSpec(status: 200)
        }

        // When 100 single events are delivered in one call
        let outcomes = await webhook.deliver((0..<100).map { Fixtures.event($0) }, to: Fixtures.target(), sender: sender)

        // Then all succeed, several at a time but never more than the bound
        #expect(outcomes.allSatisfy { $0.isSuccess })
        let most = counts.withLock { $0.most }
        #expect(most > 1 && most <= WebhookIntegration.maxConcurrentRequests)
    }

    @Test func registryKnowsEveryIntegration() {
        // Given the standard registry
        let registry = IntegrationRegistry.standard { _ in nil }

        // When destinations are looked up
        // Then Webhooks, Amplitude and Slack (Actions) have an integration and others have none
        #expect(registry.supports("614a3c7d791c91c41bae7599"))
        #expect(registry.integration(for: "614a3c7d791c91c41bae7599") is WebhookIntegration)
        #expect(registry.integration(for: AmplitudeIntegration.metadataID) is AmplitudeIntegration)
        #expect(registry.integration(for: SlackIntegration.metadataID) is SlackIntegration)
        #expect(registry.integration(for: GoogleAnalytics4Integration.metadataID) is GoogleAnalytics4Integration)
        #expect(registry.integration(for: BrazeIntegration.metadataID) is BrazeIntegration)
        #expect(registry.integration(for: MixpanelIntegration.metadataID) is MixpanelIntegration)
        #expect(registry.integration(for: CustomerIOIntegration.metadataID) is CustomerIOIntegration)
        #expect(!registry.supports("54521fd725e721e32a72eec6"))
        #expect(
            registry.metadataIDs == [
                "5f7dd6d21ad74f3842b1fc47", "5f7dd78fe27ce7ff2b8bfa37", "5f7dd8e302173ff732db5cc4",
                "60ad61f9ff47a16b8fb7b5d9", "60f9d0d048950c356be2e4da", "614a3c7d791c91c41bae7599",
                "615c7438d93d9b61b1e9e192",
            ])
    }
}
