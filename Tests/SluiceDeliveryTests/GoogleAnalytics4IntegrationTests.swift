import Foundation
import SluiceCatalog
import SluiceCore
import Testing

@testable import SluiceDelivery

/// Google Analytics 4 Cloud through the catalog's action fields (the destination has no presets), with the events,
/// mappings and expected bodies of Segment's own tests (`google-analytics-4/__tests__`).
@Suite struct GoogleAnalytics4IntegrationTests {
    static let metadata = Catalog.embedded().destination(id: GoogleAnalytics4Integration.metadataID)!
    let ga4 = GoogleAnalytics4Integration(metadata: Self.metadata)
    static let apiSecret = "b287432uhkjHIUEL"
    static let measurementID = "G-TESTTOKEN"
    static let firebaseAppID = "2:925731738562:android:a9c393108115c5581abc5b"
    static let webSettings: [String: JSONValue] = ["apiSecret": .string(apiSecret), "measurementId": .string(measurementID)]
    static let webURL = "https://www.google-analytics.com/mp/collect?api_secret=\(apiSecret)&measurement_id=\(measurementID)"

    /// Segment's `createTestEvent` with the given members, at Segment's tests' timestamp.
    static func event(_ overrides: [String: JSONValue]) -> JSONValue {
        var merged: [String: JSONValue] = ["timestamp": "2022-06-22T22:20:58.905Z"]
        merged.merge(overrides) { _, new in new }
        return AmplitudeIntegrationTests.testEvent(merged)
    }

    /// A subscription of `slug` with `mapping` over the catalog defaults (`useDefaultMappings: true`).
    static func target(_ slug: String, _ mapping: [String: JSONValue] = [:], settings: [String: JSONValue] = webSettings) throws -> DeliveryTarget {
        try metadata.target(slug, mapping, destinationSettings: settings)
    }

    func onlyRequest(_ event: JSONValue, _ target: DeliveryTarget) throws -> HTTPRequestSpec {
        try ga4.runtime.onlyRequest(event, target)
    }

    func outcome(_ event: JSONValue, _ target: DeliveryTarget) async -> DeliveryOutcome? {
        await ga4.deliver([event], to: target, sender: RecordingSender().sender).first
    }

    static let userProperties: JSONValue = ["hello": "world", "a": "1", "b": "2", "c": "3"]
    static let sentUserProperties: JSONValue = ["hello": ["value": "world"], "a": ["value": "1"], "b": ["value": "2"], "c": ["value": "3"]]

    @Test func everyCatalogActionIsImplemented() {
        #expect(ga4.runtime.actionSlugs == Self.metadata.actions.map(\.slug).sorted())
        #expect(ga4.runtime.actionSlugs.count == 19)
    }

    @Test func customEventWithDefaultMappingsAndANameSendsSegmentsRequest() throws {
        // Given Segment's "should handle default mappings" custom event, with the name mapped to a literal
        let target = try Self.target("customEvent", ["name": "this_is_a_test"])
        let event = Self.event(["event": "Order Completed", "userId": "3456fff", "anonymousId": "anon-567890", "properties": ["currency": "EUR"]])

        // When the request is built
        let request = try onlyRequest(event, target)

        // Then it is Segment's: a JSON POST to the web stream's URL, the user id as client id, one event
        #expect(request.method == "POST")
        #expect(request.url == Self.webURL)
        #expect(request.header("Content-Type") == "application/json")
        let expected: JSONValue = [
            "client_id": "3456fff", "events": [["name": "this_is_a_test", "params": ["engagement_time_msec": 1]]],
            "timestamp_micros": 1_655_936_458_905_000,
        ]
        #expect(request.json == expected)
    }

    @Test func customEventNamesAreNormalised() throws {
        // Given an event name with spaces around and inside (Segment's "should normalize and lowercase event name")
        let event = Self.event(["event": "         Order Completed ", "userId": "3456fff", "anonymousId": "anon-567890"])

        // Then spaces become underscores after trimming, and lowercase lowers the case
        let plain = try onlyRequest(event, Self.target("customEvent")).json
        #expect(plain?["events"]?.arrayValue?.first?["name"] == "Order_Completed")
        let lowered = try onlyRequest(event, Self.target("customEvent", ["lowercase": true])).json
        #expect(lowered?["events"]?.arrayValue?.first?["name"] == "order_completed")
    }

    @Test func purchaseSendsItemsUserPropertiesAndTheOrder() throws {
        // Given Segment's "should append user_properties correctly" purchase
        let target = try Self.target(
            "purchase",
            [
                "transaction_id": ["@path": "$.properties.order_number"], "client_id": ["@path": "$.anonymousId"],
                "user_properties": Self.userProperties,
                "items": [
                    [
                        "item_name": ["@path": "$.properties.products.0.name"], "item_id": ["@path": "$.properties.products.0.product_id"],
                        "quantity": ["@path": "$.properties.products.0.quantity"], "coupon": ["@path": "$.properties.products.0.coupon"],
                        "item_brand": ["@path": "$.properties.products.0.brand"], "item_category": ["@path": "$.properties.products.0.category"],
                        "item_variant": ["@path": "$.properties.products.0.variant"], "price": ["@path": "$.properties.products.0.price"],
                    ]
                ],
            ])
        let event = Self.event([
            "event": "Order Completed", "userId": "abc123", "anonymousId": "anon-2134",
            "properties": [
                "affiliation": "TI Online Store", "order_number": "5678dd9087-78", "coupon": "SUMMER_FEST", "currency": "EUR",
                "products": [
                    [
                        "product_id": "pid-123456", "sku": "SKU-123456", "name": "Tour t-shirt", "quantity": 2, "coupon": "MOUNTAIN",
                        "brand": "Canvas", "category": "T-Shirt", "variant": "Black", "price": 19.98,
                    ]
                ],
                "revenue": 5.99, "shipping": 1.5, "tax": 3.0, "total": 24.48,
            ],
        ])

        // When the request is built
        let request = try onlyRequest(event, target)

        // Then the body is Segment's snapshot
        let expected: JSONValue = [
            "client_id": "anon-2134",
            "events": [
                [
                    "name": "purchase",
                    "params": [
                        "affiliation": "TI Online Store", "coupon": "SUMMER_FEST", "currency": "EUR",
                        "items": [
                            [
                                "item_name": "Tour t-shirt", "item_id": "pid-123456", "quantity": 2, "coupon": "MOUNTAIN", "item_brand": "Canvas",
                                "item_category": "T-Shirt", "item_variant": "Black", "price": 19.98,
                            ]
                        ],
                        "transaction_id": "5678dd9087-78", "shipping": 1.5, "value": 24.48, "tax": 3, "engagement_time_msec": 1,
                    ],
                ]
            ],
            "user_properties": Self.sentUserProperties, "timestamp_micros": 1_655_936_458_905_000,
        ]
        #expect(request.json == expected)
    }

    @Test func addToCartDefaultMappingsMakeOneItemOfTheProperties() throws {
        // Given Segment's "should handle default mappings" product added
        let event = Self.event([
            "event": "Product Added", "userId": "3456fff", "anonymousId": "anon-567890",
            "properties": [
                "cart_id": "skdjsidjsdkdj29j", "product_id": "507f1f77bcf86cd799439011", "sku": "G-32", "category": "Games",
                "name": "Monopoly: 3rd Edition", "brand": "Hasbro", "variant": "200 pieces", "price": 18.99, "quantity": 1,
                "coupon": "MAYDEALS", "position": 3, "url": "https://www.example.com/product/path",
                "image_url": "https://www.example.com/product/path.jpg",
            ],
        ])

        // When the request is built
        let request = try onlyRequest(event, Self.target("addToCart"))

        // Then the single product is the one item
        let expected: JSONValue = [
            "client_id": "3456fff",
            "events": [
                [
                    "name": "add_to_cart",
                    "params": [
                        "items": [
                            [
                                "item_id": "507f1f77bcf86cd799439011", "item_name": "Monopoly: 3rd Edition", "coupon": "MAYDEALS",
                                "item_brand": "Hasbro", "item_category": "Games", "item_variant": "200 pieces", "price": 18.99, "quantity": 1,
                            ]
                        ],
                        "engagement_time_msec": 1,
                    ],
                ]
            ],
            "timestamp_micros": 1_655_936_458_905_000,
        ]
        #expect(request.json == expected)
    }

    @Test func consentAndParamsAreAppended() throws {
        // Given Segment's "should correctly append consent fields" payment info, without default mappings' extras
        let target = try Self.target(
            "addPaymentInfo",
            [
                "client_id": ["@path": "$.anonymousId"], "user_id": ["@path": "$.userId"], "params": ["Test_key": "test_value"],
                "items": [
                    [
                        "item_name": ["@path": "$.properties.products.0.name"], "item_id": ["@path": "$.properties.products.0.product_id"],
                        "currency": ["@path": "$.properties.products.0.currency"], "price": ["@path": "$.properties.products.0.price"],
                        "quantity": ["@path": "$.properties.products.0.quantity"],
                    ]
                ],
                "ad_user_data_consent": "GRANTED", "ad_personalization_consent": "GRANTED", "engagement_time_msec": 7,
            ])
        let event = Self.event([
            "event": "Payment Info Entered", "userId": "abc123", "anonymousId": "anon-2134",
            "properties": [
                "products": [["product_id": "12345abcde", "name": "Quadruple Stack Oreos, 52 ct", "currency": "USD", "price": 12.99, "quantity": 1]]
            ],
        ])

        // When the request is built
        let body = try #require(try onlyRequest(event, target).json)

        // Then consent and the user id are at the top, params' members in the event's params
        #expect(body["client_id"] == "anon-2134")
        #expect(body["user_id"] == "abc123")
        #expect(body["consent"] == ["ad_user_data": "GRANTED", "ad_personalization": "GRANTED"])
        let params = body["events"]?.arrayValue?.first?["params"]
        #expect(params?["Test_key"] == "test_value")
        #expect(params?["engagement_time_msec"] == 7)
        #expect(
            params?["items"] == [
                ["item_name": "Quadruple Stack Oreos, 52 ct", "item_id": "12345abcde", "currency": "USD", "price": 12.99, "quantity": 1]
            ])
    }

    @Test func pageViewReadsThePageFromTheContext() throws {
        // Given Segment's "should handle default mappings" page view
        var event = Self.event([
            "event": "Page View", "userId": "3456fff", "anonymousId": "anon-567890", "properties": ["title": "Analytics Academy"],
        ])
        .objectValue!
        var context = event["context"]!.objectValue!
        context["page"] = [
            "path": "/pageOne", "referrer": "https://segment.com/academy/", "search": "", "title": "Analytics Academy",
            "url": "http://www.example.com/home",
        ]
        event["context"] = .object(context)

        // Then the page's URL, referrer and title are the params
        let expected: JSONValue = [
            "client_id": "3456fff",
            "events": [
                [
                    "name": "page_view",
                    "params": [
                        "page_location": "http://www.example.com/home", "page_referrer": "https://segment.com/academy/",
                        "page_title": "Analytics Academy", "engagement_time_msec": 1,
                    ],
                ]
            ],
            "timestamp_micros": 1_655_936_458_905_000,
        ]
        #expect(try onlyRequest(.object(event), Self.target("pageView")).json == expected)
    }

    @Test func mobileAppStreamsUseTheFirebaseAppIDAndTheInstanceID() throws {
        // Given Segment's "should use mobile stream params" add to cart
        let target = try Self.target(
            "addToCart", ["data_stream_type": "Mobile App", "app_instance_id": ["@path": "$.anonymousId"]],
            settings: ["apiSecret": .string(Self.apiSecret), "firebaseAppId": .string(Self.firebaseAppID)])
        let event = Self.event([
            "event": "Product Added", "userId": "abc123", "anonymousId": "anon-2134",
            "properties": ["product_id": "12345abcde", "name": "Quadruple Stack Oreos, 52 ct", "currency": "USD", "price": 12.99, "quantity": 1],
        ])

        // When the request is built
        let request = try onlyRequest(event, target)

        // Then the Firebase App ID is in the query as it is, colons and all, and the instance replaces the client id
        #expect(request.url == "https://www.google-analytics.com/mp/collect?api_secret=\(Self.apiSecret)&firebase_app_id=\(Self.firebaseAppID)")
        let expected: JSONValue = [
            "app_instance_id": "anon-2134",
            "events": [
                [
                    "name": "add_to_cart",
                    "params": [
                        "currency": "USD",
                        "items": [["item_id": "12345abcde", "item_name": "Quadruple Stack Oreos, 52 ct", "price": 12.99, "quantity": 1]],
                        "engagement_time_msec": 1,
                    ],
                ]
            ],
            "timestamp_micros": 1_655_936_458_905_000,
        ]
        #expect(request.json == expected)
    }

    @Test func timestampsAsNumbersStayAsTheyAre() throws {
        // Given a timestamp_micros mapped to a number
        let target = try Self.target("login", ["timestamp_micros": ["@path": "$.properties.micros"]])

        // Then it is sent as that number
        let body = try onlyRequest(Self.event(["event": "Signed In", "properties": ["micros": 1_655_936_458_905_000]]), target).json
        #expect(body?["timestamp_micros"] == 1_655_936_458_905_000)
        #expect(body?["events"] == [["name": "login", "params": ["engagement_time_msec": 1]]])
    }

    /// An event one of Segment's checks refuses, and its message.
    struct Refusal: Sendable {
        var slug: String
        var event: [String: JSONValue]
        var mapping: [String: JSONValue] = [:]
        var message: String
    }

    static let refusals: [Refusal] = [
        Refusal(
            slug: "addPaymentInfo", event: ["properties": ["currency": "USD", "price": 10, "products": []]],
            message: "Google requires one or more products in add_payment_info events."),
        Refusal(
            slug: "addPaymentInfo",
            event: ["properties": ["value": 42, "products": [["product_id": "12345", "name": "Monopoly", "currency": "USD"]]]],
            message: "Currency is required if value is set."),
        Refusal(
            slug: "addPaymentInfo", event: ["properties": ["products": [["product_id": "123456"]]]],
            message: "One of item-level currency or top-level currency is required."),
        Refusal(
            slug: "beginCheckout", event: ["properties": ["currency": "1234", "name": "A product"]],
            mapping: ["items": [["item_name": ["@path": "$.properties.name"]]]], message: "1234 is not a valid currency code."),
        Refusal(
            slug: "addToCart", event: ["properties": ["category": "Games", "price": 18.99]],
            message: "One of product name or product id is required for product or impression data."),
        Refusal(slug: "viewPromotion", event: ["properties": ["category": "Games"]], message: "One of item id or item name is required."),
        Refusal(
            slug: "viewItem", event: ["properties": ["name": "Oreos", "currency": "USD"]],
            mapping: ["items": [["item_name": "Oreos", "currency": "usx"]]], message: "usx is not a valid currency code."),
        Refusal(
            slug: "customEvent", event: ["event": "Some Event Here"], mapping: ["params": ["test_key": .null]],
            message: "Param [test_key] has unsupported value of type [NULL]. "
                + "GA4 does not accept null, array, or object values for event parameters and item parameters."),
        Refusal(
            slug: "login", event: [:], mapping: ["params": ["test_key": ["a", "b"]]],
            message: "Param [test_key] has unsupported value of type [Array]. "
                + "GA4 does not accept null, array, or object values for event parameters and item parameters."),
        Refusal(
            slug: "signUp", event: [:], mapping: ["user_properties": ["hello": ["world": true]]],
            message: "Param [hello] has unsupported value of type [object]. GA4 does not accept array or object values for user properties."),
        Refusal(
            slug: "search", event: ["properties": ["query": "shoes"]], mapping: ["client_id": ["@path": "$.traits.dummy"]],
            message: "Client ID is required for web streams"),
        Refusal(
            slug: "generateLead", event: [:], mapping: ["data_stream_type": "Mobile App", "app_instance_id": "abc"],
            message: "invalid settings: Firebase App ID is required for mobile app streams"),
    ]

    @Test(arguments: refusals)
    func segmentsChecksDiscardWithItsMessage(_ refusal: Refusal) async throws {
        // Given an event that one of Segment's checks refuses
        let target = try Self.target(refusal.slug, refusal.mapping)

        // When it is delivered
        let recorder = RecordingSender()
        let outcomes = await ga4.deliver([Self.event(refusal.event)], to: target, sender: recorder.sender)

        // Then nothing is sent and it is discarded with Segment's message
        #expect(recorder.requests.isEmpty)
        #expect(outcomes == [.discarded(reason: refusal.message)])
    }

    @Test func nullUserPropertiesAndListItemsInParamsAreAccepted() throws {
        // Given user properties with a boolean and a null, and params with an items list (Segment accepts both)
        let target = try Self.target("customEvent", ["user_properties": ["hello": true, "goodbye": .null], "params": ["items": [["item_id": "1"]]]])

        // Then they are sent
        let body = try onlyRequest(Self.event(["event": "Thing"]), target).json
        #expect(body?["user_properties"] == ["hello": ["value": true], "goodbye": ["value": .null]])
        #expect(body?["events"]?.arrayValue?.first?["params"]?["items"] == [["item_id": "1"]])
    }

    @Test func missingSettingsAreInvalidSettings() async throws {
        // Given a destination without its measurement id, and one without its API secret
        let noMeasurement = try Self.target("search", settings: ["apiSecret": "s"])
        let noSecret = try Self.target("search", settings: ["measurementId": "G-1"])
        let event = Self.event(["properties": ["query": "shoes"]])

        // Then both are discarded as settings that cannot make a request
        #expect(await outcome(event, noMeasurement) == .invalidSettings("Measurement ID is required for web streams"))
        #expect(await outcome(event, noSecret) == .invalidSettings("the destination setting apiSecret is required"))
    }

    @Test func answersAreClassifiedAsSegmentsRuntimeDoes() async throws {
        // Given a search event
        let target = try Self.target("search")
        let event = Self.event(["properties": ["query": "shoes"]])

        // When Google answers 204, 429 with Retry-After, and 400
        let ok = await ga4.deliver([event], to: target, sender: RecordingSender(status: 204).sender)
        let limited = await ga4.deliver(
            [event], to: target, sender: RecordingSender { _ in HTTPResponseSpec(status: 429, retryAfter: 30) }.sender)
        let refused = await ga4.deliver([event], to: target, sender: RecordingSender(status: 400).sender)

        // Then success, a retry after 30 s, a discard
        #expect(ok == [.success(status: 204)])
        #expect(limited.first?.isRetryable == true)
        if case .retryableAfter(_, let seconds)? = limited.first { #expect(seconds == 30) } else { Issue.record("expected a Retry-After retry") }
        #expect(refused.first?.isRetryable == false)
        #expect(refused.first?.isSuccess == false)
    }
}
