import Foundation
import SluiceCatalog
import SluiceCore
import Testing

@testable import SluiceDelivery

/// Customer.io (Actions) with the catalog's defaults and presets, Segment's test events
/// (``AmplitudeIntegrationTests/testEvent(_:)`` is its `createTestEvent`) and the entities its tests expect.
@Suite struct CustomerIOIntegrationTests {
    static let metadata = Catalog.embedded().destination(id: CustomerIOIntegration.metadataID)!
    let customerIO = CustomerIOIntegration(metadata: Self.metadata)
    static let settings: [String: JSONValue] = ["siteId": "12345", "apiKey": "abcde", "accountRegion": "US 🇺🇸"]
    static let authorization = "Basic MTIzNDU6YWJjZGU="
    static let timestamp: JSONValue = "2023-11-14T22:13:20.000Z"
    static let unix: JSONValue = 1_700_000_000
    static let person: JSONValue = ["over18": true, "identification": "valid", "birthdate": "1990-01-01T00:00:00.000Z"]
    static let convertedPerson: JSONValue = ["over18": true, "identification": "valid", "birthdate": 631_152_000]

    /// A subscription of `slug` with `mapping` over the catalog defaults (`useDefaultMappings: true`), one event a
    /// request unless `mapping` turns batching on.
    static func target(_ slug: String, _ mapping: [String: JSONValue] = [:], settings: [String: JSONValue] = settings) throws -> DeliveryTarget {
        let action = try #require(metadata.actions.first { $0.slug == slug })
        let stored = try ActionSettings.validate(
            ["enable_batching": false].merging(mapping) { _, new in new }, fields: action.fields, enabled: true)
        return DeliveryTarget(actionSlug: slug, subscriptionSettings: stored, destinationSettings: settings)
    }

    /// The one request for `event`, checked to be an authenticated JSON post.
    func request(_ event: JSONValue, _ target: DeliveryTarget) throws -> HTTPRequestSpec {
        let plan = customerIO.runtime.requests(for: [event], to: target)
        let planned = try #require(plan.first)
        let request = try #require(try planned.requests.get().first)
        #expect(request.method == "POST" && request.header("Content-Type") == "application/json")
        #expect(request.header("Authorization") == Self.authorization)
        return request
    }

    /// The entity sent for `event` to `/api/v2/entity`.
    func entity(_ event: JSONValue, _ target: DeliveryTarget) throws -> JSONValue {
        let request = try request(event, target)
        #expect(request.url == "https://track.customer.io/api/v2/entity")
        return try JSONValue.parse(request.body)
    }

    static func event(_ overrides: [String: JSONValue]) -> JSONValue {
        AmplitudeIntegrationTests.testEvent(
            ["timestamp": timestamp, "userId": "abc123", "anonymousId": "unknown_123"].merging(overrides) { _, new in new })
    }

    @Test func theSixActionsAreImplemented() {
        #expect(
            customerIO.runtime.actionSlugs == [
                "createUpdateDevice", "createUpdatePerson", "deleteDevice", "trackEvent", "trackPageView", "trackScreenView",
            ])
    }

    @Test func createUpdatePersonWithAUserID() throws {
        // Given Segment's identify with traits and default mappings
        let traits: JSONValue = ["full_name": "Test User", "email": "test@example.com", "created_at": Self.timestamp, "person": Self.person]

        // When the entity is built
        let entity = try entity(Self.event(["type": "identify", "traits": traits]), Self.target("createUpdatePerson"))

        // Then it is Segment's, the dates as Unix seconds (the catalog's action has no timestamp field)
        let expected: JSONValue = [
            "action": "identify", "type": "person", "identifiers": ["id": "abc123"],
            "attributes": [
                "full_name": "Test User", "email": "test@example.com", "created_at": Self.unix, "person": Self.convertedPerson,
                "anonymous_id": "unknown_123",
            ],
        ]
        #expect(entity == expected)
    }

    @Test func theIdentifierIsTheEmailTheCIOIDOrTheAnonymousID() throws {
        // Given Segment's identifier cases
        let cases: [([String: JSONValue], JSONValue, JSONValue?)] = [
            (["userId": "foo@bar.com"], ["email": "foo@bar.com"], "unknown_123"),
            (["userId": .null, "traits": ["email": "test@example.com"]], ["email": "test@example.com"], "unknown_123"),
            (["userId": "cio_03000001"], ["cio_id": "03000001"], "unknown_123"),
            (["userId": .null], ["anonymous_id": "unknown_123"], nil),
        ]
        for (overrides, identifiers, anonymousAttribute) in cases {
            // When the entity is built
            let entity = try entity(Self.event(["type": "identify"].merging(overrides) { _, new in new }), Self.target("createUpdatePerson"))

            // Then the identifier is the one Segment picks, and the anonymous id an attribute only when it is not it
            #expect(entity["identifiers"] == identifiers)
            #expect(entity["attributes"]?["anonymous_id"] == anonymousAttribute)
        }
    }

    @Test func onlyISO8601TextIsConverted() throws {
        // Given Segment's dates test
        let dates: [String: JSONValue] = [
            "date01": "25 Mar 2015", "date02": "Mar 25 2015", "date03": "01/01/2019", "date04": "2019-02-01", "date05": "2007-01-02T18:04:07",
            "date06": "2006-01-02T18:04:07Z", "date07": "2006-01-02T18:04:07+01:00", "date08": "2006-01-02T15:04:05.007",
            "date09": "2006-01-02T15:04:05.007Z", "date10": "2006-01-02T15:04:05.007+01:00", "date11": "2018-03-04T12:08:56 PDT",
            "date12": "2018-03-04T12:08:56.235 PDT", "date13": "15/MAR/18", "date14": "11-Jan-18", "date15": "2006-01-02T15:04:05-0800",
            "date16": "2006-01-02T15:04:05.07-0800", "date17": "2006-01-02T15:04:05.007-0800", "date18": "2023-13-25",
            "date19": "2023-12-25T25:30:45", "date20": "2023-12-25T14:30:45.1234567890", "date21": "1712345678",
        ]

        // When the entity is built
        let attributes = try entity(Self.event(["type": "identify", "traits": .object(dates)]), Self.target("createUpdatePerson"))["attributes"]

        // Then the ISO 8601 dates are Unix seconds (UTC without a zone) and the others stay text
        let converted: [String: JSONValue] = [
            "date04": 1_548_979_200, "date05": 1_167_761_047, "date06": 1_136_225_047, "date07": 1_136_221_447, "date08": 1_136_214_245,
            "date09": 1_136_214_245, "date10": 1_136_210_645, "date15": 1_136_243_045, "date16": 1_136_243_045, "date17": 1_136_243_045,
        ]
        var expected = dates.merging(converted) { _, new in new }
        expected["anonymous_id"] = "unknown_123"
        #expect(attributes == .object(expected))
    }

    @Test func convertTimestampFalseKeepsTheText() throws {
        // Given convert_timestamp off
        let traits: JSONValue = ["created_at": Self.timestamp, "person": Self.person]

        // When the entity is built
        let entity = try entity(Self.event(["type": "identify", "traits": traits]), Self.target("createUpdatePerson", ["convert_timestamp": false]))

        // Then the dates are as they came
        #expect(entity["attributes"] == ["created_at": Self.timestamp, "person": Self.person, "anonymous_id": "unknown_123"])
    }

    @Test func aGroupIDIsARelationship() throws {
        // Given traits with an object id, then with an object type and relationship attributes
        let plain = try entity(Self.event(["type": "identify", "traits": ["objectId": "g12345"]]), Self.target("createUpdatePerson"))
        let typed = try entity(
            Self.event(["type": "identify", "traits": ["objectId": "g12345", "objectTypeId": "2", "relationshipAttributes": ["role": "admin"]]]),
            Self.target("createUpdatePerson"))

        // Then cio_relationships names the object, of type 1 by default, with the relationship's attributes
        #expect(plain["cio_relationships"] == [["identifiers": ["object_type_id": "1", "object_id": "g12345"]]])
        #expect(plain["attributes"] == ["objectId": "g12345", "anonymous_id": "unknown_123"])
        #expect(
            typed["cio_relationships"] == [
                ["identifiers": ["object_type_id": "2", "object_id": "g12345"], "relationship_attributes": ["role": "admin"]]
            ])
        #expect(typed["attributes"] == ["objectId": "g12345", "anonymous_id": "unknown_123"])
    }

    @Test func trackEventSendsTheEventWithItsMessageID() throws {
        // Given Segment's track test with a user id, then with only an anonymous id
        let properties: JSONValue = ["property1": "this is a test", "person": Self.person]
        let known = try entity(Self.event(["event": "testEvent", "properties": properties]), Self.target("trackEvent"))
        let anonymous = try entity(
            Self.event(["event": "test event", "userId": .null, "anonymousId": "anonymous123", "properties": ["property1": "this is a test"]]),
            Self.target("trackEvent"))

        // Then the entities are Segment's
        #expect(
            known
                == [
                    "action": "event", "type": "person", "id": "m-1", "identifiers": ["id": "abc123"], "name": "testEvent", "timestamp": Self.unix,
                    "attributes": ["property1": "this is a test", "person": Self.convertedPerson, "anonymous_id": "unknown_123"],
                ])
        #expect(
            anonymous
                == [
                    "action": "event", "type": "person", "id": "m-1", "identifiers": ["anonymous_id": "anonymous123"], "name": "test event",
                    "timestamp": Self.unix, "attributes": ["property1": "this is a test"],
                ])
    }

    @Test func trackEventChecksAndTimestamps() async throws {
        // Given an event without a name, and one with a timestamp that is not a readable time
        var nameless = Self.event([:]).objectValue!
        nameless["event"] = nil
        let outcomes = await customerIO.deliver([.object(nameless)], to: try Self.target("trackEvent"), sender: RecordingSender().sender)
        let invalid = try entity(Self.event(["timestamp": "2018-03-04T12:08:56.235 PDT"]), Self.target("trackEvent"))

        // Then the first is discarded with Segment's message and the second keeps its timestamp as text
        #expect(outcomes == [.discarded(reason: "payload validation failed: The root value is missing the required field 'name'.")])
        #expect(invalid["timestamp"] == "2018-03-04T12:08:56.235 PDT")
    }

    @Test func pageAndScreenViews() throws {
        // Given a page with a URL and a screen, the second without its message id mapped
        let page = try entity(
            Self.event(["type": "page", "properties": ["url": "https://example.com/page-a", "title": "A"]]), Self.target("trackPageView"))
        let screen = try entity(
            Self.event(["type": "screen", "name": "Home", "properties": ["step": 1]]), Self.target("trackScreenView", ["event_id": ""]))

        // Then the page's name is its URL and the screen has no id
        #expect(
            page
                == [
                    "action": "page", "type": "person", "id": "m-1", "identifiers": ["id": "abc123"], "name": "https://example.com/page-a",
                    "timestamp": Self.unix, "attributes": ["url": "https://example.com/page-a", "title": "A", "anonymous_id": "unknown_123"],
                ])
        #expect(
            screen
                == [
                    "action": "screen", "type": "person", "identifiers": ["id": "abc123"], "name": "Home", "timestamp": Self.unix,
                    "attributes": ["step": 1, "anonymous_id": "unknown_123"],
                ])
    }

    @Test func devicesAreAddedAndDeleted() throws {
        // Given Segment's device tests
        let context: JSONValue = ["device": ["token": "device_123", "type": "ios"], "app": ["version": "1.2.3"]]
        let added = try entity(Self.event(["event": "Application Opened", "context": context, "properties": [:]]), Self.target("createUpdateDevice"))
        let kept = try entity(
            Self.event(["event": "Application Opened", "context": context]), Self.target("createUpdateDevice", ["convert_timestamp": false]))
        let deleted = try entity(Self.event(["event": "Device Deleted", "context": context]), Self.target("deleteDevice"))

        // Then the device carries its token, platform, last use and app version, and a deletion only its token
        #expect(
            added
                == [
                    "action": "add_device", "type": "person", "identifiers": ["id": "abc123"],
                    "device": ["token": "device_123", "platform": "ios", "last_used": Self.unix, "attributes": ["app_version": "1.2.3"]],
                ])
        #expect(kept["device"]?["last_used"] == Self.timestamp)
        #expect(deleted == ["action": "delete_device", "type": "person", "identifiers": ["id": "abc123"], "device": ["token": "device_123"]])
    }

    @Test func theEURegionAndTheBatchEndpoint() async throws {
        // Given the EU region and the Track Event preset (batching on)
        let settings = Self.settings.merging(["accountRegion": "EU 🇪🇺"]) { _, new in new }
        let preset = try #require(Self.metadata.presets.first { $0.name == "Track Event" })
        let action = try #require(Self.metadata.actions.first { $0.id == preset.actionId })
        let target = DeliveryTarget(
            actionSlug: "trackEvent", subscriptionSettings: try ActionSettings.validate(preset.fields, fields: action.fields, enabled: true),
            destinationSettings: settings)

        // When two events are delivered
        let recorder = RecordingSender()
        let outcomes = await customerIO.deliver([Self.event(["event": "One"]), Self.event(["event": "Two"])], to: target, sender: recorder.sender)

        // Then one request to the EU batch endpoint carries both entities
        #expect(outcomes == [.success(status: 200), .success(status: 200)])
        let request = try #require(recorder.requests.first)
        #expect(recorder.requests.count == 1)
        #expect(request.url == "https://track-eu.customer.io/api/v2/batch")
        #expect(request.header("Authorization") == Self.authorization)
        let batch = try #require(try JSONValue.parse(request.body)["batch"]?.arrayValue)
        #expect(batch.map { $0["name"] } == ["One", "Two"])
        #expect(batch.allSatisfy { $0["action"] == "event" && $0["enable_batching"] == nil && $0["convert_timestamp"] == nil })
    }

    @Test func answersAreClassifiedAsSegmentsRuntimeDoes() async throws {
        // Given a trackEvent subscription, and one of an action Sluice does not implement
        let target = try Self.target("trackEvent")
        let cases: [(HTTPResponseSpec, DeliveryOutcome)] = [
            (HTTPResponseSpec(status: 200), .success(status: 200)),
            (HTTPResponseSpec(status: 429, retryAfter: 30), .retryableAfter(reason: "HTTP 429 (rate limited)", seconds: 30)),
            (HTTPResponseSpec(status: 400), .discarded(reason: "HTTP 400")),
        ]
        for (response, expected) in cases {
            // When Customer.io answers
            let outcomes = await customerIO.deliver([Self.event([:])], to: target, sender: RecordingSender { _ in response }.sender)

            // Then the event has the runtime's outcome
            #expect(outcomes == [expected])
        }
        let merge = DeliveryTarget(actionSlug: "mergePeople", subscriptionSettings: [:], destinationSettings: Self.settings)
        #expect(
            await customerIO.deliver([Self.event([:])], to: merge, sender: RecordingSender().sender) == [
                .discarded(reason: "unsupported action mergePeople")
            ])
    }

    @Test func missingCredentialsAreInvalidSettings() async throws {
        // Given a destination without its API key
        let target = try Self.target("trackEvent", settings: ["siteId": "12345"])

        // Then the event is discarded for its settings
        #expect(
            await customerIO.deliver([Self.event([:])], to: target, sender: RecordingSender().sender)
                == [.invalidSettings("the destination setting apiKey is required")])
    }
}
