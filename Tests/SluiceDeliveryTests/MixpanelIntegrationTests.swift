import Foundation
import SluiceCatalog
import SluiceCore
import Testing

@testable import SluiceDelivery

/// Mixpanel (Actions) through the catalog's presets and defaults, with Segment's test events
/// (``AmplitudeIntegrationTests/testEvent(_:)`` is its `createTestEvent`) and the requests and snapshots its tests expect.
@Suite struct MixpanelIntegrationTests {
    static let metadata = Catalog.embedded().destination(id: MixpanelIntegration.metadataID)!
    let mixpanel = MixpanelIntegration(metadata: Self.metadata, now: { Date(timeIntervalSince1970: 1_700_000_000) }, insertID: { "guid-1" })
    static let settings: [String: JSONValue] = ["projectToken": "test-proj-token", "apiSecret": "test-api-secret", "apiRegion": "US 🇺🇸"]
    static let secretAuthorization = "Basic dGVzdC1hcGktc2VjcmV0Og=="
    static let tokenAuthorization = "Basic dGVzdC1wcm9qLXRva2VuOg=="

    /// A subscription made from the catalog preset `name`, its settings checked and filled as the API stores them.
    static func presetTarget(_ name: String, change: [String: JSONValue] = [:], settings: [String: JSONValue] = settings) throws -> DeliveryTarget {
        let preset = try #require(metadata.presets.first { $0.name == name })
        let action = try #require(metadata.actions.first { $0.id == preset.actionId })
        let stored = try ActionSettings.validate(
            preset.fields.merging(change) { _, new in new }, fields: action.fields, enabled: true,
            otherFields: metadata.unlistedFieldKeys(actionID: action.id))
        return DeliveryTarget(actionSlug: action.slug, subscriptionSettings: stored, destinationSettings: settings)
    }

    /// A subscription of `slug` with `mapping` over the catalog defaults (`useDefaultMappings: true`).
    static func target(_ slug: String, _ mapping: [String: JSONValue] = [:], settings: [String: JSONValue] = settings) throws -> DeliveryTarget {
        let action = try #require(metadata.actions.first { $0.slug == slug })
        return DeliveryTarget(
            actionSlug: slug, subscriptionSettings: try ActionSettings.validate(mapping, fields: action.fields, enabled: true),
            destinationSettings: settings)
    }

    /// The requests planned for one event.
    func requests(_ event: JSONValue, _ target: DeliveryTarget) throws -> [HTTPRequestSpec] {
        let plan = mixpanel.runtime.requests(for: [event], to: target)
        #expect(plan.count == 1)
        return try #require(plan.first).requests.get()
    }

    /// The JSON of a request's form field `data`.
    static func formData(_ request: HTTPRequestSpec) throws -> JSONValue {
        let fields = AmplitudeIntegrationTests.formFields(request.body)
        #expect(fields.map(\.0) == ["data"])
        return try JSONValue.parse(try #require(fields.first).1)
    }

    static let event = AmplitudeIntegrationTests.testEvent()

    /// What Segment's trackEvent test expects of its test event, and what else the defaults map from it.
    static let expectedProperties: [String: JSONValue] = [
        "time": 1_629_213_675_449, "ip": "8.8.8.8", "id": "user1234", "distinct_id": "user1234", "$anon_id": "anonId1234",
        "$device_id": "anonId1234", "$identified_id": "user1234", "$user_id": "user1234", "$current_url": "https://segment.com/academy/",
        "$locale": "en-US", "mp_country_code": "United States", "mp_lib": "Segment Actions: analytics.js", "$lib_version": "2.11.1",
        "$browser": "Mobile Safari", "$browser_version": "9.0", "$insert_id": "m-1", "$source": "segment", "timezone": "Europe/Amsterdam",
        "event_original_name": "Test Event",
    ]

    @Test func everyCatalogActionIsImplemented() {
        #expect(mixpanel.runtime.actionSlugs == Self.metadata.actions.map(\.slug).sorted())
    }

    @Test func trackCallsPresetImportsSegmentsEventWithTheSecret() throws {
        // Given the Track Calls preset and Segment's test event
        let target = try Self.presetTarget("Track Calls")

        // When the request is built
        let request = try #require(try requests(Self.event, target).first)

        // Then it is Segment's: /import in strict mode, Basic with the API secret, one event with its properties
        #expect(request.method == "POST")
        #expect(request.url == "https://api.mixpanel.com/import?strict=1")
        #expect(request.header("Authorization") == Self.secretAuthorization)
        #expect(request.header("Content-Type") == "application/json")
        #expect(try JSONValue.parse(request.body) == [["event": "Test Event", "properties": .object(Self.expectedProperties)]])
    }

    @Test func regionsStrictModeAndTheProjectTokenFallback() throws {
        // Given Segment's region, strict-mode and credential cases
        let cases: [([String: JSONValue], String, String)] = [
            (["projectToken": "test-proj-token", "apiRegion": "EU 🇪🇺"], "https://api-eu.mixpanel.com/import?strict=1", Self.tokenAuthorization),
            (["projectToken": "test-proj-token", "apiRegion": "IN 🇮🇳"], "https://api-in.mixpanel.com/import?strict=1", Self.tokenAuthorization),
            (["projectToken": "test-proj-token"], "https://api.mixpanel.com/import?strict=1", Self.tokenAuthorization),
            (Self.settings.merging(["strictMode": "0"]) { _, new in new }, "https://api.mixpanel.com/import?strict=0", Self.secretAuthorization),
        ]
        for (settings, url, authorization) in cases {
            // When the request is built
            let request = try #require(try requests(Self.event, Self.presetTarget("Track Calls", settings: settings)).first)

            // Then it goes to the region's server with the credential
            #expect(request.url == url)
            #expect(request.header("Authorization") == authorization)
        }
    }

    @Test func sourceNameAndAnEmptyDistinctID() throws {
        // Given a source name and a distinct_id mapped to "" (Segment's "empty, but present" case)
        let settings = Self.settings.merging(["sourceName": "example segment source name"]) { _, new in new }
        let target = try Self.presetTarget("Track Calls", change: ["distinct_id": ""], settings: settings)

        // When the request is built
        let body = try JSONValue.parse(try #require(try requests(Self.event, target).first).body)

        // Then the source name is sent and distinct_id is "" with no id
        let properties = try #require(body.arrayValue?.first?["properties"])
        #expect(properties["segment_source_name"] == "example segment source name")
        #expect(properties["distinct_id"] == "")
        #expect(properties["id"] == nil)
    }

    @Test func allFieldsAsSegmentsSnapshot() throws {
        // Given every trackEvent field mapped to a literal, as Segment's "all fields" snapshot test maps them
        let text: JSONValue = "pNBru"
        var mapping: [String: JSONValue] = [:]
        for key in [
            "event", "distinct_id", "anonymous_id", "user_id", "group_id", "insert_id", "app_name", "app_namespace", "app_build", "app_version",
            "os_name", "os_version", "device_id", "device_type", "device_name", "device_manufacturer", "device_model", "carrier", "country", "region",
            "language", "library_name", "library_version", "ip", "idfa", "url", "referrer", "userAgent", "advertising_id", "ad_tracking_enabled",
            "timezone", "app_platform", "name",
        ] {
            mapping[key] = text
        }
        for key in ["bluetooth", "cellular", "wifi"] { mapping[key] = true }
        for key in ["screen_width", "screen_height", "screen_density"] { mapping[key] = -83997876740423.69 }
        mapping["time"] = "2021-02-01T00:00:00.000Z"
        mapping["event_properties"] = ["testType": text]
        mapping["utm_properties"] = ["utm_source": text, "utm_medium": text, "utm_campaign": text, "utm_term": text, "utm_content": text]
        mapping["userAgentData"] = [
            "mobile": true, "platform": text, "architecture": text, "bitness": text, "model": text, "platformVersion": text, "uaFullVersion": text,
            "wow64": true,
        ]
        mapping["enable_batching"] = false
        let target = try Self.target("trackEvent", mapping, settings: ["projectToken": text, "apiSecret": text, "sourceName": text])

        // When the request is built
        let request = try #require(try requests(Self.event, target).first)

        // Then the body is Segment's snapshot
        let expected: JSONValue = [
            [
                "event": "pNBru",
                "properties": [
                    "$anon_id": "pNBru", "$app_build_number": "pNBru", "$app_name": "pNBru", "$app_namespace": "pNBru",
                    "$app_version_string": "pNBru",
                    "$bitness": "pNBru", "$bluetooth_enabled": true, "$browser": "", "$carrier": "pNBru", "$cellular_enabled": true,
                    "$current_url": "pNBru", "$device": "pNBru", "$device_id": "pNBru", "$device_name": "pNBru", "$device_type": "pNBru",
                    "$group_id": "pNBru", "$identified_id": "pNBru", "$insert_id": "pNBru", "$ios_ifa": "pNBru", "$lib_version": "pNBru",
                    "$locale": "pNBru", "$manufacturer": "pNBru", "$mobile": true, "$model": "pNBru", "$os": "pNBru", "$os_version": "pNBru",
                    "$platform": "pNBru", "$platformVersion": "pNBru", "$referrer": "pNBru", "$screen_density": -83997876740423.69,
                    "$screen_height": -83997876740423.69, "$screen_width": -83997876740423.69, "$source": "segment", "$uaFullVersion": "pNBru",
                    "$user_id": "pNBru", "$wifi_enabled": true, "$wow64": true, "ad_tracking_enabled": "pNBru", "advertising_id": "pNBru",
                    "app_platform": "pNBru", "distinct_id": "pNBru", "event_original_name": "pNBru", "id": "pNBru", "ip": "pNBru",
                    "mp_country_code": "pNBru", "mp_lib": "Segment Actions: pNBru", "segment_source_name": "pNBru", "testType": "pNBru",
                    "time": 1_612_137_600_000, "timezone": "pNBru", "utm_campaign": "pNBru", "utm_content": "pNBru", "utm_medium": "pNBru",
                    "utm_source": "pNBru", "utm_term": "pNBru",
                ],
            ]
        ]
        #expect(try JSONValue.parse(request.body) == expected)
        #expect(request.header("Authorization") == "Basic cE5CcnU6")
    }

    @Test func withoutTimeOrMessageIDTheClockAndANewInsertID() throws {
        // Given an event without a timestamp or message id, and reserved properties among its properties
        var event = Self.event.objectValue!
        event["timestamp"] = nil
        event["messageId"] = nil
        event["properties"] = ["time": 1, "distinct_id": "x", "$insert_id": "y", "plan": "pro"]

        // When the request is built
        let body = try JSONValue.parse(try #require(try requests(.object(event), Self.presetTarget("Track Calls")).first).body)

        // Then the time is now, the insert id is new, and the reserved properties are not taken from the event
        let properties = try #require(body.arrayValue?.first?["properties"])
        #expect(properties["time"] == 1_700_000_000_000)
        #expect(properties["$insert_id"] == "guid-1")
        #expect(properties["distinct_id"] == "user1234")
        #expect(properties["plan"] == "pro")
    }

    @Test func pageCallsAreViewedEvents() throws {
        // Given the Page Calls preset
        let target = try Self.presetTarget("Page Calls")

        // When a page is planned
        var page = AmplitudeIntegrationTests.testEvent(["type": "page", "name": "Home"]).objectValue!
        page["event"] = nil
        let body = try JSONValue.parse(try #require(try requests(.object(page), target).first).body)

        // Then the event is "Viewed Home"
        #expect(body.arrayValue?.first?["event"] == "Viewed Home")
    }

    @Test func aBatchIsOneImportAndFailedRecordsAreDiscarded() async throws {
        // Given two events on the Track Calls preset (batching on) and Mixpanel's partial-failure answer
        let target = try Self.presetTarget("Track Calls")
        let events = [AmplitudeIntegrationTests.testEvent(["event": "Test Event1"]), AmplitudeIntegrationTests.testEvent(["event": "Test Event2"])]
        let answer: JSONValue = [
            "code": 200, "status": "Ok", "num_records_imported": 1,
            "failed_records": [["index": 1, "insert_id": "13c0b661", "field": "properties.time", "message": "Payload validation error"]],
        ]
        let recorder = RecordingSender { _ in HTTPResponseSpec(status: 200, bodyPrefix: JSONWriter.encode(answer)) }

        // When they are delivered
        let outcomes = await mixpanel.deliver(events, to: target, sender: recorder.sender)

        // Then one request carries both, the first succeeds and the second is discarded with Mixpanel's message
        #expect(recorder.requests.count == 1)
        #expect(try JSONValue.parse(recorder.requests[0].body).arrayValue?.compactMap { $0["event"] } == ["Test Event1", "Test Event2"])
        #expect(outcomes == [.success(status: 200), .discarded(reason: "HTTP 400: Payload validation error (properties.time)")])
    }

    @Test func batchAnswersAsSegmentReadsThem() async throws {
        // Given a batch of two and Segment's multistatus answers
        let target = try Self.presetTarget("Track Calls")
        let events = [Self.event, Self.event]
        let rejected: JSONValue = [
            "code": 400, "status": "Bad Request", "num_records_imported": 1,
            "failed_records": [["index": 1, "insert_id": "13c0b661", "field": "properties.time", "message": "Payload validation error"]],
        ]
        let cases: [(HTTPResponseSpec, [DeliveryOutcome])] = [
            (
                HTTPResponseSpec(status: 200, bodyPrefix: JSONWriter.encode(["code": 200, "status": "Ok", "num_records_imported": 2])),
                [.success(status: 200), .success(status: 200)]
            ),
            (
                HTTPResponseSpec(status: 400, bodyPrefix: JSONWriter.encode(rejected)),
                [.success(status: 200), .discarded(reason: "HTTP 400: Payload validation error (properties.time)")]
            ),
            (
                HTTPResponseSpec(status: 401, bodyPrefix: JSONWriter.encode(["code": 401, "error": "Unauthorized"])),
                [.discarded(reason: "HTTP 401"), .discarded(reason: "HTTP 401")]
            ),
            (
                HTTPResponseSpec(status: 429, retryAfter: 7),
                Array(repeating: .retryableAfter(reason: "HTTP 429 (rate limited)", seconds: 7), count: 2)
            ),
            (HTTPResponseSpec(status: 200, bodyPrefix: Array("{}".utf8)), [.success(status: 200), .success(status: 200)]),
        ]
        for (response, expected) in cases {
            // When the batch is delivered and Mixpanel answers
            let outcomes = await mixpanel.deliver(events, to: target, sender: RecordingSender { _ in response }.sender)

            // Then each event has the outcome Segment gives it
            #expect(outcomes == expected)
        }
    }

    @Test func orderCompletedWithAnEventPerProduct() throws {
        // Given Segment's Order Completed event and the preset (generatePurchaseEventPerProduct on)
        let order: [String: JSONValue] = [
            "event": "Order Completed", "messageId": "112c2a3c-7242-4327-9090-48a89de6a4110", "userId": "abc123",
            "timestamp": "2021-08-17T15:21:15.449Z", "anonymousId": "anon-2134", "type": "track",
            "properties": [
                "affiliation": "Super Online Store", "order_id": "order-id-123", "checkout_id": "checkout-id-123", "coupon": "Mixpanel Day",
                "currency": "USD",
                "products": [
                    [
                        "product_id": "507f1f77bcf86cd799439011", "sku": "45790-32", "name": "Monopoly: 3rd Edition", "price": 19, "position": 1,
                        "quantity": 2, "coupon": "MOUNTAIN", "brand": "Unknown", "category": "Games", "variant": "Black",
                        "url": "https://www.example.com/product/path", "image_url": "https://www.example.com/product/path.jpg",
                    ],
                    [
                        "product_id": "505bd76785ebb509fc183733", "sku": "46493-32", "name": "Uno Card Game", "price": 3, "position": 2,
                        "category": "Games", "custom": "xyz",
                    ],
                ],
                "revenue": 5.99, "shipping": 1.5, "tax": 3.0, "total": 24.48,
            ],
        ]
        let target = try Self.presetTarget("Order Completed Calls")

        // When the request is built
        let request = try #require(try requests(AmplitudeIntegrationTests.testEvent(order), target).first)
        let events = try #require(try JSONValue.parse(request.body).arrayValue)

        // Then the order comes first with its totals and products, then one Product Purchased event per product
        #expect(events.map { $0["event"] } == ["Order Completed", "Product Purchased", "Product Purchased"])
        let first = try #require(events[0]["properties"])
        #expect(first["time"] == 1_629_213_675_449)
        #expect(first["$insert_id"] == "112c2a3c-7242-4327-9090-48a89de6a4110")
        #expect(first["revenue"] == 5.99 && first["total"] == 24.48 && first["coupon"] == "Mixpanel Day")
        #expect(first["products"]?.arrayValue?.count == 2)
        let second = try #require(events[1]["properties"])
        #expect(second["time"] == 1_629_213_675_448)
        #expect(second["$insert_id"] == "0112c2a3c-7242-4327-9090-48a89de6a4110")
        #expect(second["coupon"] == "MOUNTAIN" && second["quantity"] == 2 && second["price"] == 19 && second["order_id"] == "order-id-123")
        #expect(second["revenue"] == nil && second["products"] == nil && second["currency"] == nil)
        #expect(second["distinct_id"] == "abc123" && second["$browser"] == "Mobile Safari")
        let third = try #require(events[2]["properties"])
        #expect(third["time"] == 1_629_213_675_447)
        #expect(third["$insert_id"] == "1112c2a3c-7242-4327-9090-48a89de6a4110")
        #expect(third["name"] == "Uno Card Game" && third["custom"] == nil && third["quantity"] == nil && third["coupon"] == nil)

        // And without generatePurchaseEventPerProduct the order is the only event
        let single = try Self.presetTarget("Order Completed Calls", change: ["generatePurchaseEventPerProduct": false])
        let only = try JSONValue.parse(try #require(try requests(AmplitudeIntegrationTests.testEvent(order), single).first).body)
        #expect(only.arrayValue?.count == 1)
    }

    @Test func identifySendsTheIdentifyEventThenTheProfile() async throws {
        // Given the Identify Calls preset and Segment's identify test traits
        let target = try Self.presetTarget("Identify Calls")
        let event = AmplitudeIntegrationTests.testEvent([
            "type": "identify",
            "traits": [
                "abc": "123", "created": "2022-10-12T00:00:00.000Z", "email": "joe@mixpanel.com", "firstName": "Joe", "lastName": "Doe",
                "username": "Joe Doe", "phone": "12345678", "name": "Joe",
            ],
        ])

        // When it is delivered
        let recorder = RecordingSender()
        #expect(await mixpanel.deliver([event], to: target, sender: recorder.sender) == [.success(status: 200)])

        // Then /track gets the $identify event and /engage the profile with Mixpanel's reserved names, as forms
        #expect(recorder.requests.map(\.url) == ["https://api.mixpanel.com/track", "https://api.mixpanel.com/engage"])
        #expect(
            recorder.requests.allSatisfy {
                $0.header("Content-Type") == "application/x-www-form-urlencoded;charset=UTF-8" && $0.header("Authorization") == nil
            })
        #expect(
            try Self.formData(recorder.requests[0])
                == ["event": "$identify", "properties": ["$identified_id": "user1234", "$anon_id": "anonId1234", "token": "test-proj-token"]])
        #expect(
            try Self.formData(recorder.requests[1])
                == [
                    "$token": "test-proj-token", "$distinct_id": "user1234", "$ip": "8.8.8.8",
                    "$set": [
                        "abc": "123", "$created": "2022-10-12T00:00:00.000Z", "$email": "joe@mixpanel.com", "$first_name": "Joe",
                        "$last_name": "Doe", "$name": "Joe", "$username": "Joe Doe", "$phone": "12345678",
                    ],
                ])
    }

    @Test func identifyNameFromFirstAndLastNames() throws {
        // Given Segment's name cases
        let target = try Self.presetTarget("Identify Calls")
        let cases: [(JSONValue, JSONValue)] = [
            (["firstName": "Joe", "lastName": "Doe"], ["$first_name": "Joe", "$last_name": "Doe", "$name": "Joe Doe"]),
            (["firstName": "Joe"], ["$first_name": "Joe"]),
            (["lastName": "Doe"], ["$last_name": "Doe"]),
        ]
        for (traits, set) in cases {
            // When the requests are built
            let built = try requests(AmplitudeIntegrationTests.testEvent(["type": "identify", "traits": traits]), target)

            // Then the profile's $set has the name only when both are given
            let profile = try #require(built.last)
            #expect(try Self.formData(profile)["$set"] == set)
        }
    }

    @Test func groupIdentifyTakesTheGroupIDFromTheTraitOfTheGroupKey() throws {
        // Given Segment's group test: a group key of "company" and traits with name and created_at
        let event = AmplitudeIntegrationTests.testEvent([
            "type": "group", "groupId": "test-group-id",
            "traits": ["hello": "world", "company": "Mixpanel", "name": "test", "created_at": "2021-08-17T15:21:15.449Z"],
        ])
        let target = try Self.target("groupIdentifyUser", ["group_key": "company"])

        // When the request is built
        let request = try #require(try requests(event, target).first)

        // Then it is Segment's form to /groups
        #expect(request.url == "https://api.mixpanel.com/groups")
        #expect(
            try Self.formData(request)
                == [
                    "$token": "test-proj-token", "$group_key": "company", "$group_id": "Mixpanel",
                    "$set": ["hello": "world", "company": "Mixpanel", "$name": "test", "$created": "2021-08-17T15:21:15.449Z"],
                ])

        // And without a group key the key is $group_id and the id the event's, in the EU region
        let eu = try Self.target("groupIdentifyUser", settings: ["projectToken": "test-proj-token", "apiRegion": "EU 🇪🇺"])
        let plain = try #require(
            try requests(AmplitudeIntegrationTests.testEvent(["type": "group", "groupId": "test-group-id", "traits": ["hello": "world"]]), eu).first)
        #expect(plain.url == "https://api-eu.mixpanel.com/groups")
        #expect(
            try Self.formData(plain) == [
                "$token": "test-proj-token", "$group_key": "$group_id", "$group_id": "test-group-id", "$set": ["hello": "world"],
            ])
    }

    @Test func groupIdentifyWithoutTraitsIsDiscarded() async throws {
        // Given a group call without traits
        var event = AmplitudeIntegrationTests.testEvent(["type": "group", "groupId": "g1"]).objectValue!
        event["traits"] = nil

        // When it is delivered
        let outcomes = await mixpanel.deliver([.object(event)], to: try Self.target("groupIdentifyUser"), sender: RecordingSender().sender)

        // Then it is discarded with Segment's message
        #expect(outcomes == [.discarded(reason: "\"traits\" is a required field")])
    }

    @Test func aliasSendsCreateAlias() throws {
        // Given an alias call and a source name, in India
        let settings: [String: JSONValue] = ["projectToken": "test-proj-token", "apiRegion": "IN 🇮🇳", "sourceName": "web"]
        let event = AmplitudeIntegrationTests.testEvent(["type": "alias", "previousId": "old-id"])

        // When the request is built
        let request = try #require(try requests(event, Self.target("alias", settings: settings)).first)

        // Then /track gets the $create_alias event
        #expect(request.url == "https://api-in.mixpanel.com/track")
        #expect(
            try Self.formData(request)
                == [
                    "event": "$create_alias",
                    "properties": ["distinct_id": "old-id", "alias": "user1234", "token": "test-proj-token", "segment_source_name": "web"],
                ])
    }

    @Test func incrementAddsNumbersAndRefusesWhatIsNotANumber() async throws {
        // Given Segment's increment test event in the EU
        let settings: [String: JSONValue] = ["projectToken": "test-proj-token", "apiRegion": "EU 🇪🇺"]
        let target = try Self.target("incrementProperties", settings: settings)
        let event = AmplitudeIntegrationTests.testEvent([
            "event": "search", "properties": ["term": "foo", "increment": ["searches": 1, "views": "2"]],
        ])

        // When the request is built
        let request = try #require(try requests(event, target).first)

        // Then /engage gets $add with numbers
        #expect(request.url == "https://api-eu.mixpanel.com/engage")
        #expect(
            try Self.formData(request) == [
                "$token": "test-proj-token", "$distinct_id": "user1234", "$ip": "8.8.8.8", "$add": ["searches": 1, "views": 2],
            ])

        // And without a user id the anonymous id is the distinct id
        let anonymous = try #require(
            try requests(AmplitudeIntegrationTests.testEvent(["userId": .null, "properties": ["increment": ["searches": 1]]]), target).first)
        #expect(try Self.formData(anonymous)["$distinct_id"] == "anonId1234")

        // And a value that is not a number, or more than 20 properties, discards the event
        let many = JSONValue.object(Dictionary(uniqueKeysWithValues: (1...21).map { ("p\($0)", JSONValue.number(1)) }))
        let outcomes = await mixpanel.deliver(
            [
                AmplitudeIntegrationTests.testEvent(["properties": ["increment": ["searches": "many"]]]),
                AmplitudeIntegrationTests.testEvent(["properties": ["increment": many]]),
            ],
            to: target, sender: RecordingSender().sender)
        #expect(
            outcomes == [
                .discarded(reason: "The key \"searches\" was not numeric"),
                .discarded(reason: "payload validation failed: Exceeded maximum of 20 properties for increment call"),
            ])
    }

    @Test func answersAreClassifiedAsSegmentsRuntimeDoes() async throws {
        // Given an alias subscription
        let target = try Self.target("alias")
        let event = AmplitudeIntegrationTests.testEvent(["type": "alias", "previousId": "old-id"])
        let cases: [(HTTPResponseSpec, DeliveryOutcome)] = [
            (HTTPResponseSpec(status: 200), .success(status: 200)),
            (HTTPResponseSpec(status: 429, retryAfter: 30), .retryableAfter(reason: "HTTP 429 (rate limited)", seconds: 30)),
            (HTTPResponseSpec(status: 400), .discarded(reason: "HTTP 400")),
        ]
        for (response, expected) in cases {
            // When Mixpanel answers
            let outcomes = await mixpanel.deliver([event], to: target, sender: RecordingSender { _ in response }.sender)

            // Then the event has the runtime's outcome
            #expect(outcomes == [expected])
        }
    }

    @Test func aMissingProjectTokenIsInvalidSettings() async throws {
        // Given a destination without its project token
        let outcomes = await mixpanel.deliver(
            [AmplitudeIntegrationTests.testEvent(["type": "identify", "traits": ["a": 1]])], to: try Self.target("identifyUser", settings: [:]),
            sender: RecordingSender().sender)

        // Then the event is discarded for its settings
        #expect(outcomes == [.invalidSettings("the destination setting projectToken is required")])
    }

    @Test func browsersAsSegmentNamesThem() {
        let cases: [(String, String, String?)] = [
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36", "Chrome",
                "120.0.6099.71"
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
                "Microsoft Edge", "120.0.2210.61"
            ),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "121.0"),
            (
                "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", "Opera",
                "106.0.0.0"
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari",
                "17.1"
            ),
            ("curl/8.4.0", "", nil),
        ]
        for (agent, name, version) in cases {
            #expect(MixpanelIntegration.browser(agent) == name)
            #expect(MixpanelIntegration.browserVersion(agent) == version)
        }
    }
}
