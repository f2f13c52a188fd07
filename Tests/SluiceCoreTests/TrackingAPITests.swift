import Foundation
import Testing

@testable import SluiceCore

@Suite struct TrackingAPITests {
    /// 2023-11-14T22:13:20.000Z
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    // MARK: - Messages

    @Test func trackIsStampedAndKeepsItsFields() throws {
        // Given a track message with no messageId, no timestamp and a write key in the body
        let message: JSONValue = ["userId": "u1", "event": "Order Completed", "properties": ["total": 10], "writeKey": "secret"]

        // When it is normalized for /v1/track
        let event = try TrackingAPI.normalize(message, type: .track, receivedAt: Self.t0)

        // Then it is stamped, keeps its fields, and loses the write key
        #expect(event["type"] == "track")
        #expect(event["userId"] == "u1")
        #expect(event["event"] == "Order Completed")
        #expect(event["properties"] == ["total": 10])
        #expect(event["writeKey"] == nil)
        #expect(event["receivedAt"] == "2023-11-14T22:13:20.000Z")
        #expect(event["timestamp"] == "2023-11-14T22:13:20.000Z")
        #expect(event["originalTimestamp"] == nil)
        let messageID = try #require(event["messageId"]?.stringValue)
        #expect(messageID.hasPrefix("api-") && messageID.count == 26)
    }

    @Test func givenMessageIdIsKept() throws {
        // Given a message carrying its own messageId
        let message: JSONValue = ["anonymousId": "a1", "messageId": "m-1"]

        // When it is normalized
        let event = try TrackingAPI.normalize(message, type: .identify, receivedAt: Self.t0)

        // Then the id is unchanged
        #expect(event["messageId"] == "m-1")
    }

    @Test func filledMessageIdsDiffer() throws {
        // Given the same message twice
        let message: JSONValue = ["anonymousId": "a1"]

        // When both are normalized
        let first = try TrackingAPI.normalize(message, type: .page, receivedAt: Self.t0)
        let second = try TrackingAPI.normalize(message, type: .page, receivedAt: Self.t0)

        // Then each got its own id
        #expect(first["messageId"] != second["messageId"])
    }

    @Test func routeTypeWinsOverBodyType() throws {
        // Given a body that says identify, sent to /v1/track
        let message: JSONValue = ["type": "identify", "userId": "u1", "event": "Signed Up"]

        // When it is normalized as track
        let event = try TrackingAPI.normalize(message, type: .track, receivedAt: Self.t0)

        // Then it is a track
        #expect(event["type"] == "track")
    }

    @Test func clockSkewIsCorrected() throws {
        // Given a client whose clock is 1 hour fast: the event happened 10 s before it was sent
        let message: JSONValue = [
            "userId": "u1", "event": "E",
            "timestamp": "2023-11-14T23:13:10.000Z",
            "sentAt": "2023-11-14T23:13:20.000Z",
        ]

        // When it is received at t0
        let event = try TrackingAPI.normalize(message, type: .track, receivedAt: Self.t0)

        // Then timestamp is 10 s before receipt, and the client's time is kept as originalTimestamp
        #expect(event["timestamp"] == "2023-11-14T22:13:10.000Z")
        #expect(event["originalTimestamp"] == "2023-11-14T23:13:10.000Z")
        #expect(event["sentAt"] == "2023-11-14T23:13:20.000Z")
    }

    @Test func timestampWithoutSentAtIsKept() throws {
        // Given a historical import: a timestamp and no sentAt
        let message: JSONValue = ["userId": "u1", "event": "E", "timestamp": "2020-01-01T00:00:00+02:00"]

        // When it is normalized
        let event = try TrackingAPI.normalize(message, type: .track, receivedAt: Self.t0)

        // Then timestamp is the client's (in UTC), not receivedAt
        #expect(event["timestamp"] == "2019-12-31T22:00:00.000Z")
        #expect(event["originalTimestamp"] == "2020-01-01T00:00:00+02:00")
    }

    @Test func originalTimestampStandsInForTimestamp() throws {
        // Given a library that sends originalTimestamp rather than timestamp
        let message: JSONValue = [
            "userId": "u1", "event": "E",
            "originalTimestamp": "2023-11-14T22:13:15.000Z", "sentAt": "2023-11-14T22:13:20.000Z",
        ]

        // When it is normalized
        let event = try TrackingAPI.normalize(message, type: .track, receivedAt: Self.t0.addingTimeInterval(1))

        // Then the correction uses it
        #expect(event["timestamp"] == "2023-11-14T22:13:16.000Z")
    }

    @Test func pythonStyleTimestampsAreRead() throws {
        // Given microseconds and a numeric offset, as segment-analytics-python sends them, and a zone-less time
        let message: JSONValue = [
            "userId": "u1", "event": "E",
            "timestamp": "2023-11-14T22:13:19.500000+00:00", "sentAt": "2023-11-14T22:13:20",
        ]

        // When it is normalized
        let event = try TrackingAPI.normalize(message, type: .track, receivedAt: Self.t0)

        // Then both are understood (the zone-less one as UTC)
        #expect(event["timestamp"] == "2023-11-14T22:13:19.500Z")
    }

    @Test func aTimestampWithoutSentAtIsKeptToTheMillisecond() throws {
        // Given client times whose milliseconds Foundation's formatter wrote back one early (.221 as .220)
        for text in ["2042-01-18T13:20:09.221Z", "2017-08-27T12:29:31.334Z", "2024-02-29T23:59:59.999Z"] {
            // When a message with one and no sentAt is normalized
            let event = try TrackingAPI.normalize(["userId": "u1", "event": "E", "timestamp": .string(text)], type: .track, receivedAt: Self.t0)

            // Then its timestamp is what the client sent
            #expect(event["timestamp"] == .string(text))
        }
    }

    @Test func numericIdsBecomeStrings() throws {
        // Given numeric ids
        let group: JSONValue = ["userId": 42, "groupId": 7.5]

        // When normalized
        let event = try TrackingAPI.normalize(group, type: .group, receivedAt: Self.t0)

        // Then they are stored as strings
        #expect(event["userId"] == "42")
        #expect(event["groupId"] == "7.5")
    }

    @Test func emptyUserIdFallsBackToAnonymousId() throws {
        // Given an empty userId and an anonymousId
        let message: JSONValue = ["userId": "", "anonymousId": "a1"]

        // When normalized
        let event = try TrackingAPI.normalize(message, type: .identify, receivedAt: Self.t0)

        // Then it is accepted on the anonymousId
        #expect(event["anonymousId"] == "a1")
    }

    @Test(
        arguments: [
            (JSONValue.object(["event": "E"]), TrackingAPI.MessageType.track, "userId or anonymousId is required", "userId"),
            (["userId": "", "anonymousId": "", "event": "E"], .track, "userId or anonymousId is required", "userId"),
            (["userId": true, "event": "E"], .track, "userId must be a string or a number", "userId"),
            (["userId": "u"], .track, "event is required for track and must be a non-empty string", "event"),
            (["userId": "u", "event": ""], .track, "event is required for track and must be a non-empty string", "event"),
            (["userId": "u", "event": 3], .track, "event is required for track and must be a non-empty string", "event"),
            (["userId": "u"], .alias, "previousId is required for alias", "previousId"),
            (["userId": "u"], .group, "groupId is required for group", "groupId"),
            (["userId": "u", "groupId": ["x"]], .group, "groupId must be a string or a number", "groupId"),
            (["userId": "u", "messageId": 5], .identify, "messageId must be a string", "messageId"),
            (["userId": "u", "timestamp": "yesterday"], .identify, "timestamp must be an ISO 8601 date-time", "timestamp"),
            (["userId": "u", "sentAt": 17], .identify, "sentAt must be an ISO 8601 date-time", "sentAt"),
            (["userId": "u", "context": "x"], .identify, "context must be an object", "context"),
            (["userId": "u", "traits": [1]], .identify, "traits must be an object", "traits"),
            (["userId": "u", "event": "E", "properties": "p"], .track, "properties must be an object", "properties"),
        ] as [(JSONValue, TrackingAPI.MessageType, String, String)])
    func badMessagesAreRefused(message: JSONValue, type: TrackingAPI.MessageType, expected: String, field: String) {
        // Given a message that breaks one rule
        // When it is normalized
        // Then the error names the problem and the field, as a 400
        #expect(throws: ValidationError(expected, field: field, kind: .badRequest)) {
            try TrackingAPI.normalize(message, type: type, receivedAt: Self.t0)
        }
    }

    @Test func nonObjectMessageIsRefused() {
        // Given a message that is an array
        // When it is normalized
        // Then it is refused
        #expect(throws: ValidationError("message must be a JSON object", kind: .badRequest)) {
            try TrackingAPI.normalize(["a"], type: .track, receivedAt: Self.t0)
        }
    }

    @Test func messageOverThirtyTwoKilobytesIsRefused() throws {
        // Given a message of just over 32 KB and one of exactly 32 KB
        let overhead = JSONWriter.encode(["userId": "u", "event": "E", "properties": ["p": ""]]).count
        let exact: JSONValue = ["userId": "u", "event": "E", "properties": ["p": .string(String(repeating: "x", count: 32 * 1024 - overhead))]]
        let over: JSONValue = ["userId": "u", "event": "E", "properties": ["p": .string(String(repeating: "x", count: 32 * 1024 - overhead + 1))]]
        #expect(JSONWriter.encode(exact).count == TrackingAPI.maxMessageBytes)

        // When both are normalized
        // Then the one at the limit passes and the larger is refused
        _ = try TrackingAPI.normalize(exact, type: .track, receivedAt: Self.t0)
        #expect(throws: ValidationError("message is larger than 32 KB (32769 bytes)", kind: .badRequest)) {
            try TrackingAPI.normalize(over, type: .track, receivedAt: Self.t0)
        }
    }

    @Test func encodedSizeMatchesTheWriter() {
        // Given values with escapes, non-ASCII text, control characters, and numbers of every form
        let values: [JSONValue] = [
            .null, true, false, 0, -1, 7, 1_234_567, -987_654_321_000, 0.5, -2.25, 1e20, 1e-7, 123_456_789_012_345_678,
            "", "plain", "quote \" and \\ backslash", "tab\tline\ncr\r", "\u{01}\u{1f}", "héllo ✓ 🎉",
            [], [1, "two", [3]], [:], ["k": "v", "nested": ["a": [true, nil, 1.5]], "é": "\u{07}"],
        ]

        // When their sizes are computed
        // Then each is the length of the writer's bytes
        for value in values {
            #expect(TrackingAPI.encodedSize(value) == JSONWriter.encode(value).count, "\(value)")
        }
        let all = JSONValue.array(values)
        #expect(TrackingAPI.encodedSize(all) == JSONWriter.encode(all).count)
    }

    @Test func filledMessageIdsAreBase62() throws {
        // Given a message without an id
        // When it is normalized many times
        for _ in 0..<200 {
            let event = try TrackingAPI.normalize(["userId": "u"], type: .identify, receivedAt: Self.t0)
            let id = try #require(event["messageId"]?.stringValue)

            // Then each id is api- and 22 base62 characters
            #expect(id.hasPrefix("api-") && id.count == 26)
            #expect(id.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        }
    }

    @Test func filledMessageIdsAreNeverTheSameInAProcess() async throws {
        // Given ids made at once on several threads
        let made = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5_000).map { _ in TrackingAPI.newMessageID() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        // Then no two are the same, not even in one of their halves
        #expect(Set(made).count == made.count)
        #expect(Set(made.map { $0.dropFirst(4).prefix(11) }).count == made.count)
        #expect(Set(made.map { $0.suffix(11) }).count == made.count)
    }

    @Test func theMixIsSplitMix64() {
        // SplitMix64's first outputs from a state of 0, as its reference implementation gives them
        let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
        #expect(TrackingAPI.mix(0) == 0xE220_A839_7B1D_CDAF)
        #expect(TrackingAPI.mix(gamma) == 0x6E78_9E6A_A1B9_65F4)
        #expect(TrackingAPI.mix(gamma &* 2) == 0x06C4_5D18_8009_454F)
    }

    // MARK: - Batches

    @Test func batchItemsShareSentAtAndContext() throws {
        // Given a batch whose client clock is 1 minute slow, with a batch context and one item overriding part of it
        let body: JSONValue = [
            "writeKey": "k",
            "sentAt": "2023-11-14T22:12:20.000Z",
            "context": ["library": ["name": "analytics-python"], "ip": "1.2.3.4"],
            "batch": [
                ["type": "track", "userId": "u1", "event": "A", "timestamp": "2023-11-14T22:12:19.000Z"],
                ["type": "identify", "anonymousId": "a1", "context": ["ip": "5.6.7.8"], "writeKey": "k"],
            ],
        ]

        // When it is normalized
        let events = try TrackingAPI.normalizeBatch(body, receivedAt: Self.t0)

        // Then each item is corrected with the batch's sentAt and carries the merged context
        #expect(events.count == 2)
        #expect(events[0]["timestamp"] == "2023-11-14T22:13:19.000Z")
        #expect(events[0]["sentAt"] == "2023-11-14T22:12:20.000Z")
        #expect(events[0]["context"] == ["library": ["name": "analytics-python"], "ip": "1.2.3.4"])
        #expect(events[1]["type"] == "identify")
        #expect(events[1]["context"] == ["library": ["name": "analytics-python"], "ip": "5.6.7.8"])
        #expect(events[1]["writeKey"] == nil)
    }

    @Test func badBatchItemIsNamedByIndex() {
        // Given a batch whose fourth item has no identity
        let good: JSONValue = ["type": "track", "userId": "u", "event": "E"]
        let body: JSONValue = ["batch": [good, good, good, ["type": "track", "event": "E"], ["type": "nope"]]]

        // When it is normalized
        // Then the first bad item is reported by index, and nothing is returned
        #expect(throws: ValidationError("batch[3]: userId or anonymousId is required", field: "batch[3].userId", kind: .badRequest)) {
            try TrackingAPI.normalizeBatch(body, receivedAt: Self.t0)
        }
    }

    @Test func batchItemsMustCarryAKnownType() {
        // Given batch items without a type and with an unknown one
        // When they are normalized
        // Then each is refused
        let types = "track, identify, page, screen, group, alias"
        #expect(throws: ValidationError("batch[0]: type is required: one of \(types)", field: "batch[0].type", kind: .badRequest)) {
            try TrackingAPI.normalizeBatch(["batch": [["userId": "u"]]], receivedAt: Self.t0)
        }
        #expect(throws: ValidationError("batch[0]: type must be one of \(types)", field: "batch[0].type", kind: .badRequest)) {
            try TrackingAPI.normalizeBatch(["batch": [["type": "Track", "userId": "u"]]], receivedAt: Self.t0)
        }
    }

    @Test func batchBodyShapeIsChecked() {
        // Given bodies with no batch array, a non-object item, and a bad batch sentAt
        // When they are normalized
        // Then each is refused with its own message
        #expect(throws: ValidationError("batch must be an array", field: "batch", kind: .badRequest)) {
            try TrackingAPI.normalizeBatch(["batch": ["type": "track"]], receivedAt: Self.t0)
        }
        #expect(throws: ValidationError("batch[1]: message must be a JSON object", field: "batch[1]", kind: .badRequest)) {
            try TrackingAPI.normalizeBatch(["batch": [["type": "page", "userId": "u"], 3]], receivedAt: Self.t0)
        }
        #expect(throws: ValidationError("sentAt must be an ISO 8601 date-time", field: "sentAt", kind: .badRequest)) {
            try TrackingAPI.normalizeBatch(["batch": [], "sentAt": "soon"], receivedAt: Self.t0)
        }
    }

    @Test func emptyBatchYieldsNothing() throws {
        // Given an empty batch
        // When it is normalized
        let events = try TrackingAPI.normalizeBatch(["batch": []], receivedAt: Self.t0)

        // Then there is nothing to store
        #expect(events.isEmpty)
    }

    @Test func requestSizeLimit() throws {
        // Given bodies at and over 500 KB
        // When their sizes are checked
        // Then only the larger is refused
        try TrackingAPI.checkRequestSize(500 * 1024)
        #expect(throws: ValidationError("request body is larger than 500 KB (512001 bytes)", kind: .badRequest)) {
            try TrackingAPI.checkRequestSize(500 * 1024 + 1)
        }
    }

    // MARK: - Write keys

    @Test func writeKeyFromBody() {
        // Given a body with a writeKey, and one with an empty one
        // When the keys are read
        // Then the first is found and the empty one is none
        #expect(TrackingAPI.writeKey(body: ["writeKey": "fromBody", "batch": []]) == "fromBody")
        #expect(TrackingAPI.writeKey(body: ["writeKey": ""]) == nil)
    }
}
