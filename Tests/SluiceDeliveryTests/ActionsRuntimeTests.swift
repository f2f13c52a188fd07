import Foundation
import SluiceCatalog
import SluiceCore
import Testing

@testable import SluiceDelivery

@Suite struct ActionsRuntimeTests {
    static func field(
        _ key: String, _ type: String, required: Bool = false, multiple: Bool = false, choices: JSONValue? = nil, allowNull: Bool = false
    )
        -> ActionField
    {
        ActionField(
            id: key, sortOrder: 0, fieldKey: key, label: key, type: type, description: "", placeholder: nil, defaultValue: nil,
            required: required, multiple: multiple, choices: choices, dynamic: false, allowNull: allowNull, hidden: false)
    }

    // MARK: - Payload checks

    @Test func emptyValuesGoAndTypesAreCoercedAsAjvDoes() throws {
        // Given fields of each type and values Ajv coerces
        let fields = [
            Self.field("name", "STRING"), Self.field("count", "INTEGER"), Self.field("price", "NUMBER"), Self.field("flag", "BOOLEAN"),
            Self.field("tags", "STRING", multiple: true), Self.field("empty", "STRING"), Self.field("gone", "NUMBER"),
            Self.field("single", "NUMBER"), Self.field("kept", "STRING", allowNull: true),
        ]
        let payload: [String: JSONValue] = [
            "name": 12, "count": "3", "price": true, "flag": "false", "tags": "one", "empty": "", "gone": .null, "single": ["2.5"],
            "kept": .null, "other": "untouched",
        ]

        // When it is prepared
        let prepared = try ActionPayload.prepare(payload, fields: fields).get()

        // Then each value has its field's type; empty values are gone; other keys pass unchanged
        #expect(
            prepared == [
                "name": "12", "count": 3, "price": 1, "flag": false, "tags": ["one"], "single": 2.5, "kept": .null, "other": "untouched",
            ])
    }

    @Test func valuesThatDoNotFitAreRefusedInSegmentsWords() {
        // Given a required field missing, an integer field with a fraction, an object field with text and a choice
        let fields = [
            Self.field("url", "STRING", required: true), Self.field("count", "INTEGER"), Self.field("data", "OBJECT"),
            Self.field("method", "STRING", choices: [["label": "Post", "value": "POST"], ["label": "Put", "value": "PUT"]]),
        ]
        let payload: [String: JSONValue] = ["count": 1.5, "data": "text", "method": "GET"]

        // When it is prepared
        let result = ActionPayload.prepare(payload, fields: fields)

        // Then every problem is named
        let message =
            "payload validation failed: The value at /count must be an integer but it was a number. "
            + "The value at /data must be an object but it was a string. The value at /method must be one of: \"POST\", \"PUT\". "
            + "The root value is missing the required field 'url'."
        #expect(result == .failure(ActionFailure(outcome: .discarded(reason: message))))
    }

    // MARK: - The runtime

    @Test func anActionWithoutAnImplementationIsDiscarded() async {
        // Given an Amplitude subscription of the browser-only sessionId action
        let amplitude = AmplitudeIntegration(metadata: nil)
        let target = DeliveryTarget(actionSlug: "sessionId", subscriptionSettings: [:], destinationSettings: ["apiKey": "k"])

        // Then its events are discarded, saying why
        let outcomes = await amplitude.deliver([["type": "track"]], to: target, sender: RecordingSender().sender)
        #expect(outcomes == [.discarded(reason: "unsupported action sessionId")])
    }

    @Test func vendorAnswersAreClassifiedWithRetryAfter() async {
        // Given a vendor that answers 429 with Retry-After, then 400, then 503 without it
        let slack = SlackIntegration(metadata: nil)
        let target = DeliveryTarget(
            actionSlug: "postToChannel", subscriptionSettings: ["url": "https://hooks.slack.com/services/T0/B0/X", "text": "hi"],
            destinationSettings: [:])
        for (answer, expected) in [
            (HTTPResponseSpec(status: 429, retryAfter: 30), DeliveryOutcome.retryableAfter(reason: "HTTP 429 (rate limited)", seconds: 30)),
            (HTTPResponseSpec(status: 400, retryAfter: 30), .discarded(reason: "HTTP 400")),
            (HTTPResponseSpec(status: 503), .retryable(reason: "HTTP 503")),
        ] {
            let recorder = RecordingSender { _ in answer }
            // Then each is the outcome Segment's runtime gives
            #expect(await slack.deliver([["type": "track"]], to: target, sender: recorder.sender) == [expected])
        }
    }

    @Test func batchFormsTakeBatchSizeAndReadPerEventResults() async throws {
        // Given an action with a batch form whose answer refuses the second event
        let action = ActionImplementation(
            slug: "send", perform: { _, _ throws(ActionFailure) in [] },
            batch: .init(
                defaultSize: 100, maxSize: 3,
                request: { payloads, _ throws(ActionFailure) in .json("https://vendor.example/batch", body: .array(payloads.map(JSONValue.object))) },
                results: { _, count in (0..<count).map { $0 == 1 ? .discarded(reason: "refused") : .success(status: 200) } }))
        let runtime = ActionsRuntime(actions: [action], metadata: nil)
        let target = DeliveryTarget(
            actionSlug: "send", subscriptionSettings: ["n": ["@path": "$.n"], "enable_batching": true, "batch_size": 10], destinationSettings: [:])
        #expect(runtime.batchSize(for: target) == 3)

        // When four events are delivered
        let recorder = RecordingSender()
        let outcomes = await runtime.deliver((1...4).map { ["n": .number(Double($0))] }, to: target, sender: recorder.sender)

        // Then two requests carry 3 and 1 payloads, and the answer's per-event results are each event's outcome
        #expect(recorder.requests.count == 2)
        let sizes = try recorder.requests.map { try JSONValue.parse($0.body).arrayValue?.count }
        #expect(sizes.sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 3])
        #expect(outcomes.filter { $0 == .discarded(reason: "refused") }.count == 1)
        #expect(outcomes.filter(\.isSuccess).count == 3)
    }

    // MARK: - Slack

    @Test func slackPostsTheMessageWithTheDefaults() async throws {
        // Given a postToChannel subscription as Segment's test sets it, the catalog defaults filled in
        let metadata = try #require(Catalog.embedded().destination(id: SlackIntegration.metadataID))
        let fields = try #require(metadata.actions.first).fields
        let settings = try ActionSettings.validate(
            ["url": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "text": "test", "channel": "general"],
            fields: fields, enabled: true)
        let slack = SlackIntegration(metadata: metadata)
        let target = DeliveryTarget(actionSlug: "postToChannel", subscriptionSettings: settings, destinationSettings: [:])

        // When an event is delivered
        let recorder = RecordingSender()
        #expect(await slack.deliver([["type": "track", "event": "Test Event"]], to: target, sender: recorder.sender) == [.success(status: 200)])

        // Then the message is posted to the webhook with Segment's defaults
        let request = try #require(recorder.requests.first)
        #expect(request.url == "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")
        #expect(
            try JSONValue.parse(request.body)
                == ["channel": "general", "icon_url": "https://logo.clearbit.com/segment.com", "text": "test", "username": "Segment"])
    }

    @Test func slackRefusesAURLThatIsNotSlacks() {
        #expect(SlackIntegration.isSlackWebhookURL("https://hooks.slack.com/services/T0/B0/X"))
        #expect(!SlackIntegration.isSlackWebhookURL("https://hooks.slack.com/services/T0/B0/X?bad=true"))
        #expect(!SlackIntegration.isSlackWebhookURL("http://hooks.slack.com/services/T0"))
        #expect(!SlackIntegration.isSlackWebhookURL("https://evil.example/hooks.slack.com/x"))
        #expect(throws: ActionFailure(outcome: .discarded(reason: "Invalid Slack URL"))) {
            try SlackIntegration.postToChannel(["url": "https://example.com/x", "text": "t"], [:])
        }
    }

    // MARK: - Endpoint overrides and Retry-After

    @Test func endpointOverridesReplaceSchemeHostAndPortOnly() throws {
        let overrides = try EndpointOverrides(environmentValue: "api2.amplitude.com=http://127.0.0.1:9000, HOOKS.slack.com=http://localhost:9001")
        #expect(overrides.apply(to: "https://api2.amplitude.com/2/httpapi?x=1") == "http://127.0.0.1:9000/2/httpapi?x=1")
        #expect(overrides.apply(to: "https://hooks.slack.com/services/T/B/X") == "http://localhost:9001/services/T/B/X")
        #expect(overrides.apply(to: "https://api.eu.amplitude.com/2/httpapi") == "https://api.eu.amplitude.com/2/httpapi")
        #expect(overrides.summary == ["api2.amplitude.com -> http://127.0.0.1:9000", "hooks.slack.com -> http://localhost:9001"])
        #expect(throws: EndpointOverrides.ParseError.self) { try EndpointOverrides(parsing: ["no-equals"]) }
        #expect(throws: EndpointOverrides.ParseError.self) { try EndpointOverrides(parsing: ["host=ftp://x"]) }
        #expect(throws: EndpointOverrides.ParseError.self) { try EndpointOverrides(parsing: ["host=http://x/path"]) }
        #expect(throws: EndpointOverrides.ParseError.self) { try EndpointOverrides(parsing: ["https://host=http://x"]) }
    }

    @Test func retryAfterIsReadAsSecondsOrADate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(HTTPResponseSpec.retryAfterSeconds("120", now: now) == 120)
        #expect(HTTPResponseSpec.retryAfterSeconds("Tue, 14 Nov 2023 22:15:20 GMT", now: now) == 120)
        #expect(HTTPResponseSpec.retryAfterSeconds("Tue, 14 Nov 2023 22:00:00 GMT", now: now) == 0)
        #expect(HTTPResponseSpec.retryAfterSeconds("-1", now: now) == nil)
        #expect(HTTPResponseSpec.retryAfterSeconds("soon", now: now) == nil)
    }
}
