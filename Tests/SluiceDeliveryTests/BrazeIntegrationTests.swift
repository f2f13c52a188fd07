import Foundation
import SluiceCatalog
import SluiceCore
import Testing

@testable import SluiceDelivery

/// Braze Cloud Mode (Actions) through the catalog's presets and action fields, with the events of Segment's own tests
/// (`braze/__tests__`, `createTestEvent`) and the requests and batch outcomes they expect.
@Suite struct BrazeIntegrationTests {
    static let metadata = Catalog.embedded().destination(id: BrazeIntegration.metadataID)!
    let braze = BrazeIntegration(metadata: Self.metadata)
    static let receivedAt: JSONValue = "2021-08-03T17:40:04.055Z"
    static let settings: [String: JSONValue] = ["app_id": "my-app-id", "api_key": "my-api-key", "endpoint": "https://rest.iad-01.braze.com"]

    /// Segment's `createTestEvent` with the given members, received at Segment's tests' time.
    static func event(_ overrides: [String: JSONValue]) -> JSONValue {
        var merged: [String: JSONValue] = ["receivedAt": receivedAt]
        merged.merge(overrides) { _, new in new }
        return AmplitudeIntegrationTests.testEvent(merged)
    }

    /// A subscription of `slug` with `mapping` over the catalog defaults, batching off unless the mapping turns it on.
    static func target(_ slug: String, _ mapping: [String: JSONValue] = [:]) throws -> DeliveryTarget {
        let batching = metadata.actions.first { $0.slug == slug }?.fields.contains { $0.fieldKey == "enable_batching" } == true
        var fields: [String: JSONValue] = batching ? ["enable_batching": false] : [:]
        fields.merge(mapping) { _, new in new }
        return try metadata.target(slug, fields, destinationSettings: settings)
    }

    func onlyRequest(_ event: JSONValue, _ target: DeliveryTarget) throws -> HTTPRequestSpec {
        try braze.runtime.onlyRequest(event, target)
    }

    @Test func theUserAndEventActionsAreImplemented() {
        #expect(
            braze.runtime.actionSlugs == [
                "createAlias", "createAlias2", "identifyUser", "trackEvent", "trackEvent2", "trackPurchase", "trackPurchase2",
                "updateUserProfile", "updateUserProfile2",
            ])
    }

    @Test func updateUserProfileWithDefaultMappings() throws {
        // Given Segment's "should work with default mappings" identify
        let request = try onlyRequest(Self.event(["type": "identify"]), Self.target("updateUserProfile"))

        // Then it is a POST to the instance's /users/track with the bearer key and Segment's attributes
        #expect(request.method == "POST")
        #expect(request.url == "https://rest.iad-01.braze.com/users/track")
        #expect(request.header("Authorization") == "Bearer my-api-key")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("X-Braze-Batch") == nil)
        let expected: JSONValue = [
            "attributes": [
                [
                    "_update_existing_only": false, "country": "United States",
                    "current_location": ["latitude": 40.2964197, "longitude": -76.9411617], "external_id": "user1234",
                ]
            ]
        ]
        #expect(request.json == expected)
    }

    @Test func profileAttributesAreConvertedAsSegmentDoes() throws {
        // Given traits with a gender word, a birthday, custom attributes, and a custom attribute shadowing a standard one
        let event = Self.event([
            "type": "identify",
            "traits": [
                "email": "ünîcòde_émail_locał_part@segment.com", "gender": "Female", "firstName": "Ada", "plan": "pro",
                "avatar": "https://example.com/a.png", "country": "Shadowed", "first_seen": 1_627_999_204_055,
            ],
        ])
        let target = try Self.target(
            "updateUserProfile",
            ["dob": "1990-05-17T10:00:00Z", "date_of_first_session": ["@path": "$.traits.first_seen"], "country": ["@path": "$.context.nothing"]])

        // When the request is built
        let attributes = try #require(try onlyRequest(event, target).json?["attributes"]?.arrayValue?.first)

        // Then Braze's gender letter, the date of birth, ISO times, custom attributes without Segment's reserved keys
        #expect(attributes["email"] == "ünîcòde_émail_locał_part@segment.com")
        #expect(attributes["gender"] == "F")
        #expect(attributes["dob"] == "1990-05-17")
        #expect(attributes["date_of_first_session"] == "2021-08-03T14:00:04.055Z")
        #expect(attributes["first_name"] == "Ada")
        #expect(attributes["image_url"] == "https://example.com/a.png")
        #expect(attributes["plan"] == "pro")
        #expect(attributes["firstName"] == nil && attributes["avatar"] == nil)
        #expect(attributes["first_seen"] == 1_627_999_204_055)
        // A standard attribute left unmapped still overrides the custom one, as Segment's spread does
        #expect(attributes["country"] == nil)
    }

    @Test func aUserWithoutIdentifierIsDiscardedWithSegmentsMessage() async throws {
        // Given Segment's "should require one of braze_id, user_alias, external_id or email" with no identifiers
        let target = try Self.target("trackEvent", ["external_id": ["@path": "$.nothing"]])

        // When it is delivered
        let recorder = RecordingSender()
        let outcomes = await braze.deliver([Self.event(["event": "Test Event"])], to: target, sender: recorder.sender)

        // Then nothing is sent
        #expect(recorder.requests.isEmpty)
        #expect(outcomes == [.discarded(reason: "One of \"external_id\" or \"user_alias\" or \"braze_id\" or \"email\" is required.")])
    }

    @Test func trackEventWithDefaultMappingsAndAnInstanceEndpoint() throws {
        // Given Segment's "should work with default mappings" track, to an EU instance
        var target = try Self.target("trackEvent")
        target.destinationSettings["endpoint"] = "https://rest.fra-01.braze.eu"

        // When the request is built
        let request = try onlyRequest(Self.event(["event": "Test Event"]), target)

        // Then the instance's endpoint and Segment's event object
        #expect(request.url == "https://rest.fra-01.braze.eu/users/track")
        #expect(request.header("Authorization") == "Bearer my-api-key")
        let expected: JSONValue = [
            "events": [
                [
                    "_update_existing_only": false, "app_id": "my-app-id", "external_id": "user1234", "name": "Test Event", "properties": [:],
                    "time": "2021-08-03T17:40:04.055Z",
                ]
            ]
        ]
        #expect(request.json == expected)
    }

    @Test func trackEventsAreBatchedWithTheBatchHeader() async throws {
        // Given the Track Calls preset (batching on) with _update_existing_only, and two events
        let preset = try #require(Self.metadata.presets.first { $0.name == "Track Calls" })
        var fields = preset.fields
        fields["_update_existing_only"] = true
        let target = try Self.metadata.target("trackEvent", fields, destinationSettings: Self.settings)
        #expect(braze.batchSize(for: target) == 75)

        // When they are delivered
        let recorder = RecordingSender(status: 201)
        let outcomes = await braze.deliver(
            [Self.event(["event": "Test Event 1"]), Self.event(["event": "Test Event 2"])], to: target, sender: recorder.sender)

        // Then one request carries both, with X-Braze-Batch, and both succeed
        #expect(outcomes == [.success(status: 201), .success(status: 201)])
        #expect(recorder.requests.count == 1)
        let request = try #require(recorder.requests.first)
        #expect(request.header("X-Braze-Batch") == "true")
        let events = try #require(request.json?["events"]?.arrayValue)
        #expect(events.map { $0["name"] } == ["Test Event 1", "Test Event 2"])
        #expect(events.allSatisfy { $0["_update_existing_only"] == true && $0["app_id"] == "my-app-id" && $0["external_id"] == "user1234" })

        // And a batch of one has no batch header (Segment's "batched events with single element")
        let single = RecordingSender(status: 201)
        _ = await braze.deliver([Self.event(["event": "Test Event 1"])], to: target, sender: single.sender)
        #expect(single.requests.first?.header("X-Braze-Batch") == nil)
    }

    @Test func batchAnswersAreReadPerEvent() async throws {
        // Given a batched profile subscription and three identifies, the last without any identifier
        let target = try Self.target("updateUserProfile", ["enable_batching": true])
        let events = [
            Self.event(["type": "identify", "userId": "u1"]), Self.event(["type": "identify", "userId": "u2"]),
            Self.event(["type": "identify", "userId": .null, "traits": [:]]),
        ]
        let partial = #"{"message":"success","errors":[{"type":"a test error occurred","input_array":"attributes","index":1}]}"#

        // When Braze answers 201 with an error for the second (Segment's "partial success response")
        let recorder = RecordingSender { _ in HTTPResponseSpec(status: 201, bodyPrefix: Array(partial.utf8)) }
        let outcomes = await braze.deliver(events, to: target, sender: recorder.sender)

        // Then the second is discarded with Braze's error and the others succeed
        #expect(outcomes[0] == .success(status: 201))
        #expect(outcomes[1] == .discarded(reason: "a test error occurred"))
        #expect(recorder.requests.first?.json?["attributes"]?.arrayValue?.count == 3)

        // And a 400 discards every event with Braze's message (Segment's "fatal error response")
        let fatal = #"{"message":"Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.","errors":[]}"#
        let refused = await braze.deliver(
            Array(events.prefix(2)), to: target, sender: RecordingSender { _ in HTTPResponseSpec(status: 400, bodyPrefix: Array(fatal.utf8)) }.sender)
        #expect(
            refused
                == Array(repeating: .discarded(reason: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."), count: 2)
        )

        // And a 429 retries them all, honouring Retry-After
        let limited = await braze.deliver(
            Array(events.prefix(2)), to: target, sender: RecordingSender { _ in HTTPResponseSpec(status: 429, retryAfter: 5) }.sender)
        #expect(limited.allSatisfy { $0.isRetryable })

        // And a batch of only users without identifiers is discarded without a request
        let none = RecordingSender()
        let unnamed = await braze.deliver([events[2]], to: target, sender: none.sender)
        #expect(none.requests.isEmpty)
        #expect(unnamed == [.discarded(reason: BrazeIntegration.missingIdentifier)])
    }

    @Test func trackPurchaseCombinesProductAndEventProperties() throws {
        // Given Segment's "should combine custom product properties with event properties" order
        let event = Self.event([
            "event": "Order Completed",
            "properties": [
                "products": [
                    ["product_id": "test-product-id", "currency": "USD", "price": 99.99, "quantity": 1, "number_of_items": 2, "property_5": 45]
                ],
                "property2_": "test", "property_3": true,
            ],
        ])

        // When the request is built
        let request = try onlyRequest(event, Self.target("trackPurchase"))

        // Then one purchase with the product's other members and the event's properties
        #expect(request.url == "https://rest.iad-01.braze.com/users/track")
        #expect(request.header("X-Braze-Batch") == nil)
        let expected: JSONValue = [
            "purchases": [
                [
                    "_update_existing_only": false, "app_id": "my-app-id", "currency": "USD", "external_id": "user1234", "price": 99.99,
                    "product_id": "test-product-id",
                    "properties": ["number_of_items": 2, "property2_": "test", "property_3": true, "property_5": 45], "quantity": 1,
                    "time": "2021-08-03T17:40:04.055Z",
                ]
            ]
        ]
        #expect(request.json == expected)
    }

    @Test func purchasesOfSeveralProductsAndOfNone() async throws {
        // Given an order of two products, one without a currency
        let target = try Self.target("trackPurchase2")
        let event = Self.event([
            "event": "Order Completed",
            "properties": ["products": [["product_id": "a", "price": 1], ["product_id": "b", "price": 2, "currency": "EUR"]]],
        ])

        // Then two purchases go with X-Braze-Batch, the first in USD
        let request = try onlyRequest(event, target)
        #expect(request.header("X-Braze-Batch") == "true")
        let purchases = try #require(request.json?["purchases"]?.arrayValue)
        #expect(purchases.map { $0["currency"] } == ["USD", "EUR"])
        #expect(purchases.allSatisfy { $0["_update_existing_only"] == false })

        // And an order without products sends nothing
        let recorder = RecordingSender()
        let none = Self.event(["event": "Order Completed", "properties": ["products": []]])
        let outcomes = await braze.deliver([none], to: target, sender: recorder.sender)
        #expect(recorder.requests.isEmpty)
        #expect(outcomes == [.discarded(reason: "This event was not sent to Braze because it did not contain any products.")])
    }

    @Test func batchedPurchasesComeBackToTheirEvents() async throws {
        // Given Segment's batched trackPurchase mapping (multistatus.test.ts) and its four events: two orders of two
        // products, one order without products, and one without any identifier
        let target = try Self.target(
            "trackPurchase",
            [
                "enable_batching": true, "email": ["@path": "$.properties.email"], "external_id": ["@path": "$.properties.externalId"],
                "products": ["@path": "$.properties.products"],
            ])
        let product: JSONValue = ["product_id": "test-product-id", "currency": "USD", "price": 99.99, "quantity": 1]
        let events = [
            Self.event(["event": "Order Completed", "properties": ["externalId": "test-external-id", "products": [product, product]]]),
            Self.event(["event": "Order Completed", "properties": ["email": "user@example.com", "products": [product, product]]]),
            Self.event(["event": "Order Completed", "properties": ["externalId": "test-external-id", "products": []]]),
            Self.event(["event": "Order Completed", "properties": ["products": [product]]]),
        ]
        #expect(braze.batchSize(for: target) == 75)

        // When Braze answers 201 with an error for the second purchase (Segment's partial success response)
        let partial = #"{"events_processed":4,"message":"success","errors":[{"type":"a test error occurred","input_array":"purchases","index":1}]}"#
        let recorder = RecordingSender { _ in HTTPResponseSpec(status: 201, bodyPrefix: Array(partial.utf8)) }
        let outcomes = await braze.deliver(events, to: target, sender: recorder.sender)

        // Then one request carries the four purchases of the first two orders, and the first order (whose second
        // purchase failed) is discarded with Braze's error, the second succeeds, and the others are left out with
        // Segment's messages
        #expect(recorder.requests.count == 1)
        let request = try #require(recorder.requests.first)
        #expect(request.header("X-Braze-Batch") == "true")
        let purchases = try #require(request.json?["purchases"]?.arrayValue)
        #expect(
            purchases.map { $0["external_id"] ?? $0["email"] } == ["test-external-id", "test-external-id", "user@example.com", "user@example.com"])
        #expect(
            outcomes == [
                .discarded(reason: "a test error occurred"), .success(status: 201), .discarded(reason: BrazeIntegration.noProducts),
                .discarded(reason: BrazeIntegration.missingIdentifier),
            ])

        // And a complete success (Braze's 201 without errors) delivers both orders
        let success = await braze.deliver(Array(events.prefix(2)), to: target, sender: RecordingSender(status: 201).sender)
        #expect(success == [.success(status: 201), .success(status: 201)])
    }

    @Test func batchedPurchasesStayWithinBrazesSeventyFive() async throws {
        // Given an order of 76 products, then orders of 40 products each
        let target = try Self.target("trackPurchase", ["enable_batching": true])
        func order(_ products: Int) -> JSONValue {
            Self.event([
                "event": "Order Completed", "properties": ["products": .array(Array(repeating: ["product_id": "p", "price": 1], count: products))],
            ])
        }
        let recorder = RecordingSender(status: 201)
        let outcomes = await braze.deliver([order(76), order(40), order(40), order(30)], to: target, sender: recorder.sender)

        // Then the order of 76 is discarded, the second order of 40 is retried in another batch (it would take the
        // request to 80), and the order of 30 still counts it, as Segment's does: 110 > 75, retried too
        #expect(
            outcomes[0]
                == .discarded(
                    reason:
                        "Max batch size exceeded. This payload contains 76 products, which is more than Braze's maximum batch size of 75 objects per batch."
                ))
        #expect(outcomes[1] == .success(status: 201))
        #expect(outcomes[2].isRetryable && outcomes[3].isRetryable)
        #expect(recorder.requests.first?.json?["purchases"]?.arrayValue?.count == 40)

        // And a batch whose every order is left out sends nothing
        let none = RecordingSender(status: 201)
        let leftOut = await braze.deliver([order(76), order(0)], to: target, sender: none.sender)
        #expect(none.requests.isEmpty)
        #expect(leftOut[0] != .success(status: 201) && !leftOut[0].isRetryable)
        #expect(leftOut[1] == .discarded(reason: BrazeIntegration.noProducts))
    }

    @Test func aBatchWithoutTheAPIKeyIsDiscardedWhole() async throws {
        // Given a batched purchase subscription on a destination without its API key
        var settings = Self.settings
        settings["api_key"] = nil
        let target = try Self.metadata.target("trackPurchase", ["enable_batching": true], destinationSettings: settings)
        let order = Self.event(["event": "Order Completed", "properties": ["products": [["product_id": "p", "price": 1]]]])

        // When two orders are delivered
        let recorder = RecordingSender(status: 201)
        let outcomes = await braze.deliver([order, order], to: target, sender: recorder.sender)

        // Then nothing is sent and both are discarded as invalid settings
        #expect(recorder.requests.isEmpty)
        #expect(outcomes == Array(repeating: .invalidSettings("the destination setting api_key is required"), count: 2))
    }

    @Test func updateUserProfile2UpdatesExistingUsersOnly() throws {
        // Given updateUserProfile2, whose default sync mode is update
        let request = try onlyRequest(Self.event(["type": "identify"]), Self.target("updateUserProfile2"))

        // Then the attributes say so
        #expect(request.json?["attributes"]?.arrayValue?.first?["_update_existing_only"] == true)
    }

    @Test func identifyUserAndCreateAlias() throws {
        // Given identifyUser with an alias and merge behaviour, and createAlias with a name and label
        let identify = try Self.target(
            "identifyUser",
            ["external_id": ["@path": "$.userId"], "user_alias": ["alias_name": "anon-1", "alias_label": "segment"], "merge_behavior": "merge"])
        let alias = try Self.target(
            "createAlias2", ["external_id": ["@path": "$.userId"], "alias_name": ["@path": "$.anonymousId"], "alias_label": "segment_anonymous"])

        // When the requests are built
        let identified = try onlyRequest(Self.event(["type": "identify"]), identify)
        let aliased = try onlyRequest(Self.event(["type": "alias"]), alias)

        // Then /users/identify and /users/alias/new with Segment's bodies
        #expect(identified.url == "https://rest.iad-01.braze.com/users/identify")
        #expect(identified.header("Authorization") == "Bearer my-api-key")
        #expect(
            identified.json
                == [
                    "aliases_to_identify": [["external_id": "user1234", "user_alias": ["alias_name": "anon-1", "alias_label": "segment"]]],
                    "merge_behavior": "merge",
                ])
        #expect(aliased.url == "https://rest.iad-01.braze.com/users/alias/new")
        #expect(aliased.json == ["user_aliases": [["external_id": "user1234", "alias_name": "anonId1234", "alias_label": "segment_anonymous"]]])
    }

    @Test func singleRequestsAreClassifiedByStatus() async throws {
        // Given a createAlias subscription
        let target = try Self.target("createAlias", ["alias_name": "a", "alias_label": "b"])
        let event = Self.event(["type": "alias"])

        // Then 201 succeeds, 429 retries, 400 discards
        #expect(await braze.deliver([event], to: target, sender: RecordingSender(status: 201).sender) == [.success(status: 201)])
        #expect(await braze.deliver([event], to: target, sender: RecordingSender(status: 429).sender).first?.isRetryable == true)
        let refused = await braze.deliver([event], to: target, sender: RecordingSender(status: 400).sender).first
        #expect(refused?.isRetryable == false && refused?.isSuccess == false)
    }

    @Test func unimplementedActionsAreDiscarded() async {
        let target = DeliveryTarget(actionSlug: "triggerCampaign", subscriptionSettings: [:], destinationSettings: Self.settings)
        #expect(
            await braze.deliver([Self.event([:])], to: target, sender: RecordingSender().sender) == [
                .discarded(reason: "unsupported action triggerCampaign")
            ])
    }
}
